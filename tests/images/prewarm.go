package images

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Prewarm is the image with the prewarm binary (what the exporter image
// of the prewarm-caches chart is): `prewarm cache clear|invalidate` run in
// it on the cluster way. Built apart from WriteTarball's images because
// the binary changes with every commit and that tarball is cached by the
// image code only.
const Prewarm = "prewarm.test/prewarm:e2e"

// WritePrewarmImage writes a docker-archive tarball at path holding
// Prewarm: the busybox layer and bin, a static prewarm binary (built with
// CGO_ENABLED=0), at /usr/local/bin/prewarm.
func WritePrewarmImage(path, bin string) error {
	if err := staticELF(bin); err != nil {
		return fmt.Errorf("%w: build it with CGO_ENABLED=0", err)
	}
	img := empty.Image
	bb, err := busyboxLayer()
	if err != nil {
		return err
	}
	pw := layer{}
	if err := pw.hostFile(bin, "usr/local/bin/prewarm"); err != nil {
		return err
	}
	for _, l := range []layer{bb, pw} {
		data, err := l.tar()
		if err != nil {
			return err
		}
		lay, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		}, tarball.WithCompressionLevel(gzip.BestSpeed))
		if err != nil {
			return err
		}
		if img, err = mutate.AppendLayers(img, lay); err != nil {
			return err
		}
	}
	img, err = mutate.ConfigFile(img, configFile(img, v1.Config{Env: []string{basePath}, WorkingDir: "/", Entrypoint: []string{"/usr/local/bin/prewarm"}}))
	if err != nil {
		return err
	}
	ref, err := name.ParseReference(Prewarm)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := tarball.MultiRefWriteToFile(tmp, map[name.Reference]v1.Image{ref: img}); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
