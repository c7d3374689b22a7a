package v1alpha2

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"
)

// everySource returns a VolumeSource with every pointer field set.
func everySource() corev1.VolumeSource {
	var src corev1.VolumeSource
	v := reflect.ValueOf(&src).Elem()
	for i := 0; i < v.NumField(); i++ {
		v.Field(i).Set(reflect.New(v.Field(i).Type().Elem()))
	}
	return src
}
