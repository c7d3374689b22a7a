// Package scripts holds tests that run the preset shell scripts
// (templates-go/scripts) for real under dash and busybox sh.
package scripts
