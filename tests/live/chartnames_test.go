package live

import corev1 "k8s.io/api/core/v1"

// The names the charts give a release's objects: the fullname
// (RELEASE-CHART) and a suffix. The tests spell that convention here, once,
// independently of the charts' helpers, so a chart that renamed its objects
// fails the tests that look for them.

func chartCachesPVC(release, eco string) string { return release + "-prewarm-caches-" + eco }

func chartWorkspace(release string) string { return release + "-prewarm-workspace" }

func chartWorkspacePVC(release, eco string) string {
	return chartWorkspace(release) + "-" + eco + "-cache"
}

func chartPolicy(release string) string { return release + "-prewarm-policy" }

// chartsPVCNames are the names of pvcs, in their order.
func chartsPVCNames(pvcs []corev1.PersistentVolumeClaim) []string {
	out := make([]string, len(pvcs))
	for i := range pvcs {
		out[i] = pvcs[i].Name
	}
	return out
}
