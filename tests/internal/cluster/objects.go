package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
)

// EnsureNamespace creates namespace name with labels (or sets the labels on
// an existing one) plus its `default` ServiceAccount, which the
// ServiceAccount admission plugin requires and no controller-manager makes.
func EnsureNamespace(ctx context.Context, cs kubernetes.Interface, name string, labels map[string]string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	_, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		err = mergeNamespaceLabels(ctx, cs, name, labels)
	}
	if err != nil {
		return fmt.Errorf("namespace %s: %w", name, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: name}}
	_, err = cs.CoreV1().ServiceAccounts(name).Create(ctx, sa, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("namespace %s: default ServiceAccount: %w", name, err)
	}
	return nil
}

func mergeNamespaceLabels(ctx context.Context, cs kubernetes.Interface, name string, labels map[string]string) error {
	ns, err := cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	for k, v := range labels {
		ns.Labels[k] = v
	}
	_, err = cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{})
	return err
}

// ApplyCRDs creates or updates every CustomResourceDefinition in the YAML
// file at path and waits until each is Established.
func ApplyCRDs(ctx context.Context, c apiextclient.Interface, path string) ([]*apiextv1.CustomResourceDefinition, error) {
	crds, err := readCRDs(path)
	if err != nil {
		return nil, err
	}
	var out []*apiextv1.CustomResourceDefinition
	for _, crd := range crds {
		got, err := applyCRD(ctx, c, crd)
		if err == nil {
			got, err = waitEstablished(ctx, c, got.Name)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: CRD %s: %w", path, crd.Name, err)
		}
		out = append(out, got)
	}
	return out, nil
}

func readCRDs(path string) ([]*apiextv1.CustomResourceDefinition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var crds []*apiextv1.CustomResourceDefinition
	for {
		crd := &apiextv1.CustomResourceDefinition{}
		if err := dec.Decode(crd); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if crd.Name != "" { // skip empty documents
			crds = append(crds, crd)
		}
	}
	if len(crds) == 0 {
		return nil, fmt.Errorf("%s: no CustomResourceDefinition found", path)
	}
	return crds, nil
}

func applyCRD(ctx context.Context, c apiextclient.Interface, crd *apiextv1.CustomResourceDefinition) (*apiextv1.CustomResourceDefinition, error) {
	api := c.ApiextensionsV1().CustomResourceDefinitions()
	got, err := api.Create(ctx, crd, metav1.CreateOptions{FieldValidation: "Strict"})
	if !apierrors.IsAlreadyExists(err) {
		return got, err
	}
	cur, err := api.Get(ctx, crd.Name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	crd.ResourceVersion = cur.ResourceVersion
	return api.Update(ctx, crd, metav1.UpdateOptions{FieldValidation: "Strict"})
}

func waitEstablished(ctx context.Context, c apiextclient.Interface, name string) (*apiextv1.CustomResourceDefinition, error) {
	var crd *apiextv1.CustomResourceDefinition
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		crd, err = c.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return condTrue(crd, apiextv1.Established) && condTrue(crd, apiextv1.NamesAccepted), nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for Established: %w (conditions: %+v)", err, conditions(crd))
	}
	return crd, nil
}

func condTrue(crd *apiextv1.CustomResourceDefinition, t apiextv1.CustomResourceDefinitionConditionType) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == t {
			return c.Status == apiextv1.ConditionTrue
		}
	}
	return false
}

func conditions(crd *apiextv1.CustomResourceDefinition) []apiextv1.CustomResourceDefinitionCondition {
	if crd == nil {
		return nil
	}
	return crd.Status.Conditions
}
