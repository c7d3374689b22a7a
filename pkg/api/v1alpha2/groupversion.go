package v1alpha2

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the API group and version of every type in this package.
var GroupVersion = schema.GroupVersion{Group: "kelos.dev", Version: "v1alpha2"}

// AddToScheme registers Workspace and Task with a runtime.Scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &Workspace{}, &WorkspaceList{}, &Task{}, &TaskList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
