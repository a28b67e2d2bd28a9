// Cronflow's passkeys: the browser's half of the WebAuthn ceremonies. Each button asks the server
// to begin (POST …/begin), hands the options to navigator.credentials.create or .get, and sends the
// authenticator's answer back (POST …/finish). Binary fields travel as base64url both ways.
(function () {
  "use strict";

  function toBuffer(s) {
    var b64 = s.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function toBase64url(buf) {
    if (!buf) { return undefined; }
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"] || ""; } catch (e) { return ""; }
  }

  function showError(msg) {
    var box = document.querySelector("[data-passkey-error]");
    if (!box) { return; }
    box.textContent = msg;
    box.hidden = !msg;
  }

  // post sends JSON and resolves to the JSON answer; an answer that is not 2xx rejects with its message.
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.ok) { return data; }
        var msg = data.error || ("The server answered " + res.status + ".");
        if (data.fields) {
          Object.keys(data.fields).forEach(function (k) { msg += " " + k + ": " + data.fields[k] + "."; });
        }
        throw new Error(msg);
      });
    });
  }

  function creationOptions(o) {
    var pk = o.publicKey;
    pk.challenge = toBuffer(pk.challenge);
    pk.user.id = toBuffer(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
    return { publicKey: pk };
  }

  function requestOptions(o) {
    var pk = o.publicKey;
    pk.challenge = toBuffer(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
    return { publicKey: pk };
  }

  function encode(cred) {
    var r = cred.response;
    var out = {
      id: cred.id, rawId: toBase64url(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toBase64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toBase64url(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toBase64url(r.authenticatorData);
      out.response.signature = toBase64url(r.signature);
      out.response.userHandle = toBase64url(r.userHandle);
    }
    return out;
  }

  // ceremony runs one begin, browser call and finish, then goes where the server says.
  function ceremony(base, body, create) {
    showError("");
    if (!window.PublicKeyCredential) {
      showError("This browser cannot use passkeys.");
      return;
    }
    post(base + "/begin", body).then(function (start) {
      var call = create ? navigator.credentials.create(creationOptions(start.options))
        : navigator.credentials.get(requestOptions(start.options));
      return call.then(function (cred) {
        return post(base + "/finish", { flow: start.flow, credential: encode(cred) });
      });
    }).then(function (done) {
      window.location.assign(done.redirect || "/");
    }).catch(function (err) {
      showError(err && err.name === "NotAllowedError" ? "The passkey request was cancelled or timed out." : String(err.message || err));
    });
  }

  document.addEventListener("click", function (e) {
    var t = e.target.closest ? e.target.closest("[data-passkey-register],[data-passkey-login],[data-passkey-factor]") : null;
    if (!t) { return; }
    e.preventDefault();
    var next = t.getAttribute("data-next") || "/";
    if (t.hasAttribute("data-passkey-register")) {
      var name = document.getElementById("passkey-name");
      ceremony("/settings/passkeys", { name: name ? name.value : "" }, true);
    } else if (t.hasAttribute("data-passkey-login")) {
      ceremony("/login/passkey", { next: next }, false);
    } else {
      ceremony("/login/second-factor/passkey", { next: next }, false);
    }
  });
})();
