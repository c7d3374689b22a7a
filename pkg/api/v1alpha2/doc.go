// Package v1alpha2 holds the kelos.dev/v1alpha2 Workspace and Task types that
// prewarm renders, including the setup/volumes extension from the Kelos
// Workspace proposal, and the validation rules shared by Go, the CRD's CEL
// rules and the admission policy chart.
//
// +kubebuilder:object:generate=true
// +groupName=kelos.dev
package v1alpha2
