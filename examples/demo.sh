#!/usr/bin/env bash
# make demo: validate the example Workspace and show the Task pod it yields.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./bin/prewarm
ws=examples/workspace-setup/workspace.yaml
task=examples/task.yaml
echo "== prewarm validate $ws"
$bin validate "$ws" && echo "valid"
echo
echo "== prewarm pod --workspace $ws --task $task (init containers, in order)"
$bin pod --workspace "$ws" --task "$task" | awk '/^      initContainers:/{on=1} /^      restartPolicy:/{on=0} on && /^        name: /{print "  " $NF}'
echo
echo "== full Job: ./bin/prewarm pod --workspace $ws --task $task"
