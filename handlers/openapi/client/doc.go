// The client is generated from ../openapi.yaml by oapi-codegen, which stays out of go.mod as sqlc
// does; .ci/run checks that the committed code is fresh. In handlers/openapi:
//
//	go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -config client/generate.yaml openapi.yaml
//
// The end-to-end test api_client_test.go (in the repository's root) drives a running Cronflow with it.

package client
