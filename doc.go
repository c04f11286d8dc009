// Package sluice holds the vocabulary shared by the Sluice server, its Go client
// and its worker library: queue configuration, messages, typed attributes,
// statistics, limits and the errors callers branch on.
//
// The package depends only on the standard library so that client programs can
// import it without pulling in the server.
package sluice
