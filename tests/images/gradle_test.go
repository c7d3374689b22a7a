package images

import (
	"strings"
	"testing"
)

// TestGradleLayerTakesWhatGradleDeclares: the Gradle layer holds the jars
// Gradle loads (seen opened by a real `gradle compileTestJava` under
// strace): ones named by a module's runtime= (guava), by projects=
// (gradle-model-core, not under /usr/share/gradle/lib), and by a manifest's
// absolute Class-Path (asm through reflectasm, commons-logging through
// httpclient), each link kept as a link; and not the rest of
// /usr/share/java (JUnit 5, Maven's core: 101 MB in all on this machine).
// Needs Debian's gradle (tests/install-deps.sh).
func TestGradleLayerTakesWhatGradleDeclares(t *testing.T) {
	l, err := gradleLayer()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"usr/bin/gradle", "usr/share/gradle/bin/gradle",
		"usr/share/java/guava.jar", "usr/share/java/gradle-model-core-4.4.1.jar",
		"usr/share/java/asm.jar", "usr/share/java/asm-9.4.jar",
		"usr/share/java/commons-logging.jar", "usr/share/java/commons-logging-1.2.jar",
		"usr/lib/jni/libnative-platform.so",
	} {
		if _, ok := l[want]; !ok {
			t.Errorf("the gradle layer lacks %s", want)
		}
	}
	for _, link := range []string{"usr/share/gradle/lib/gradle-core-4.4.1.jar", "usr/share/java/asm.jar"} {
		if e := l[link]; e.link == "" {
			t.Errorf("%s should stay a link (its target is in the layer once)", link)
		}
	}
	for name := range l {
		if strings.HasPrefix(name, "usr/share/java/junit-jupiter") || strings.HasPrefix(name, "usr/share/java/maven-core") {
			t.Errorf("the gradle layer holds %s, which Gradle does not declare", name)
		}
	}
}

func TestManifestValueJoinsContinuationLines(t *testing.T) {
	mf := "Manifest-Version: 1.0\r\nClass-Path: /usr/share/java/httpcore.jar /usr/share/java/commons-codec.j\r\n ar a.jar\r\nCreated-By: x\r\n"
	if got, want := manifestValue(mf, "Class-Path"), "/usr/share/java/httpcore.jar /usr/share/java/commons-codec.jar a.jar"; got != want {
		t.Errorf("manifestValue = %q, want %q", got, want)
	}
	if got := manifestValue(mf, "Main-Class"); got != "" {
		t.Errorf("missing attribute = %q, want empty", got)
	}
}
