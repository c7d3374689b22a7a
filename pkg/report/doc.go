// Package report reads what prewarm's setup scripts leave in a Task pod's
// status and turns it into answers: which share of Tasks started from a
// snapshot, warm, cold or by falling back, how long setup took, and why the
// last cold start was cold.
//
// The scripts own the summary line's format (pw_summary in
// templates-go/scripts/lib.sh.tpl writes it to stdout and to the termination
// message); this package is the one Go reader of it (ParseLine). The same
// holds for the pruner's line and the usage file it keeps on each cache
// volume (ParsePrune, UsageFile; prune.sh.tpl writes them).
package report
