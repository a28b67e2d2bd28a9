package broker

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// ParseNodes reads a list of broker nodes: amqp:// or amqps:// URLs of the nodes of one RabbitMQ
// cluster, separated by commas. For a bad list it returns what is wrong, each problem a phrase that
// follows the variable's name. Problems name an address by its position and host, never whole,
// since a URL may hold a password.
func ParseNodes(list string) (urls, problems []string) {
	seen := map[string]bool{}
	vhost := ""
	for i, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		u, err := url.Parse(part)
		switch {
		case part == "":
			problems = append(problems, fmt.Sprintf("has an empty address at position %d; separate node URLs with single commas", i+1))
		case err != nil || (u.Scheme != "amqp" && u.Scheme != "amqps") || u.Hostname() == "":
			problems = append(problems, fmt.Sprintf("must list amqp:// or amqps:// URLs separated by commas; address %d is not one", i+1))
		case seen[u.Host]:
			problems = append(problems, fmt.Sprintf("lists the node %s twice", u.Host))
		case len(urls) > 0 && u.Path != vhost:
			// A cluster's virtual hosts are the same on every node: two names mean two clusters, or a typo.
			problems = append(problems, fmt.Sprintf("must name the same virtual host on every node; %s names %q, the first node %q",
				u.Host, u.Path, vhost))
		default:
			seen[u.Host], vhost = true, u.Path
			urls = append(urls, part)
		}
	}
	return urls, problems
}

// NodeURLs builds the URLs of a cluster's nodes from their hosts, a comma-separated list of host or
// host:port ([v6]:port) where the port defaults to port, and the credentials and virtual host
// they share. Problems are as ParseNodes returns them.
func NodeURLs(hosts string, port int, user, password, vhost string) (urls, problems []string) {
	for _, part := range strings.Split(hosts, ",") {
		part = strings.TrimSpace(part)
		host, p, err := net.SplitHostPort(part)
		if err != nil {
			host, p = strings.Trim(part, "[]"), strconv.Itoa(port)
		}
		n, perr := strconv.Atoi(p)
		if host == "" || strings.ContainsAny(host, "/@? ") || perr != nil || n < 1 || n > 65535 {
			problems = append(problems, fmt.Sprintf("must list host or host:port separated by commas; %q is neither", part))
			continue
		}
		u := url.URL{Scheme: "amqp", User: url.UserPassword(user, password), Host: net.JoinHostPort(host, p),
			Path: "/" + vhost, RawPath: "/" + url.PathEscape(vhost)}
		if vhost == "/" {
			u.Path, u.RawPath = "/", ""
		}
		urls = append(urls, u.String())
	}
	return urls, problems
}
