// Package handler holds one file per Kafka API key (00_produce.go,
// 01_fetch.go, …) and the dispatch table (table.go) that is the single
// source of truth for which APIs and versions Gregor serves: the server
// dispatches through it and ApiVersions is built from it.
//
// Handlers are thin: decode (already done by the server with kmsg),
// validate, delegate to a domain package (partition, metadata, config,
// group, txn),
// encode. Each file opens with a short history of what each version of its
// API added. Internal errors are mapped to Kafka error codes in errors.go;
// an error with no mapping is logged and answered with
// KAFKA_STORAGE_ERROR or UNKNOWN_SERVER_ERROR as Kafka would, never
// silently.
package handler
