package v1alpha2

import (
	"reflect"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateUTF8 refuses every string in v (a struct, walked through its
// exported fields by their JSON names) that is not valid UTF-8: a
// Kubernetes object travels as JSON, which cannot carry such bytes (an
// encoder replaces them with U+FFFD), so the object the API server stored
// would not be the one given.
func ValidateUTF8(v any, p *field.Path) field.ErrorList {
	return walkUTF8(reflect.ValueOf(v), p)
}

func walkUTF8(v reflect.Value, p *field.Path) field.ErrorList {
	switch v.Kind() {
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return field.ErrorList{field.Invalid(p, v.String(), "must be valid UTF-8 (a Kubernetes object is JSON, which cannot carry other bytes)")}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return walkUTF8(v.Elem(), p)
		}
	case reflect.Slice, reflect.Array:
		var errs field.ErrorList
		for i := 0; i < v.Len(); i++ {
			errs = append(errs, walkUTF8(v.Index(i), p.Index(i))...)
		}
		return errs
	case reflect.Map:
		var errs field.ErrorList
		iter := v.MapRange()
		for iter.Next() {
			errs = append(errs, walkUTF8(iter.Key(), p)...)
			errs = append(errs, walkUTF8(iter.Value(), p.Key(iter.Key().String()))...)
		}
		return errs
	case reflect.Struct:
		var errs field.ErrorList
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fp := p
			switch {
			case name == "-":
				continue
			case name != "":
				fp = p.Child(name)
			case !f.Anonymous:
				fp = p.Child(f.Name)
			}
			errs = append(errs, walkUTF8(v.Field(i), fp)...)
		}
		return errs
	}
	return nil
}
