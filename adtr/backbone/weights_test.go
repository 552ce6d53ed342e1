package backbone

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hubSpec is how a fakeHub behaves.
type hubSpec struct {
	status     int    // file response status; 0 means 200
	sendOnly   int    // > 0: declare len(body) bytes but send only this many, then drop the connection
	stallAfter int    // > 0: send this many bytes, then hang until the client gives up
	apiSHA     string // sha256 listed by the API
	apiSize    int64  // size listed by the API
	apiFile    string // file name listed by the API; empty means the served file
}

// fakeHub imitates the two Hugging Face hub endpoints the downloader uses, for one repository.
type fakeHub struct {
	repo, file string
	body       []byte // served at /<repo>/resolve/main/<file>
	hubSpec
	apiCalls  atomic.Int32
	fileCalls atomic.Int32
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/api/models/" + h.repo:
		h.apiCalls.Add(1)
		name := h.apiFile
		if name == "" {
			name = h.file
		}
		json.NewEncoder(w).Encode(map[string]any{"siblings": []any{
			map[string]any{"rfilename": "config.json", "size": 10},
			map[string]any{"rfilename": name, "size": h.apiSize,
				"lfs": map[string]any{"sha256": h.apiSHA, "size": h.apiSize}},
		}})
	case "/" + h.repo + "/resolve/main/" + h.file:
		h.fileCalls.Add(1)
		if h.status != 0 {
			http.Error(w, "nope", h.status)
			return
		}
		switch {
		case h.sendOnly > 0:
			w.Header().Set("Content-Length", strconv.Itoa(len(h.body)))
			w.Write(h.body[:h.sendOnly])
		case h.stallAfter > 0:
			w.Write(h.body[:h.stallAfter])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		default:
			w.Header().Set("Content-Length", strconv.Itoa(len(h.body)))
			w.Write(h.body)
		}
	default:
		http.NotFound(w, r)
	}
}

// sha256Hex returns the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// useFakeHub points the downloader at hub (on 127.0.0.1), the cache at a temporary directory,
// adds entry to the known weights and unsets $GOADTR_WEIGHTS_DIR, all restored after the test.
// It returns the goadtr cache directory.
func useFakeHub(t *testing.T, hub *fakeHub, entry KnownWeight) string {
	t.Helper()
	srv := httptest.NewServer(hub)
	t.Cleanup(srv.Close)
	oldBase, oldCache, oldKnown := hubBaseURL, userCacheDir, knownWeights
	cache := t.TempDir()
	hubBaseURL = srv.URL
	userCacheDir = func() (string, error) { return cache, nil }
	knownWeights = append(KnownWeights(), entry)
	t.Cleanup(func() { hubBaseURL, userCacheDir, knownWeights = oldBase, oldCache, oldKnown })
	t.Setenv(WeightsDirEnv, "")
	return filepath.Join(cache, "goadtr")
}

// dirEntries lists the names in dir (none when it does not exist).
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWeightsDownload(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	body := make([]byte, 300_000)
	for i := range body {
		body[i] = byte(r.Uint32())
	}
	good := sha256Hex(body)
	bad := sha256Hex([]byte("something else"))
	const repo, file = "test/tiny.in1k", "model.safetensors"
	cases := []struct {
		name    string
		pinned  string // KnownWeight.SHA256
		hub     hubSpec
		wantErr []string // substrings of the error; nil means success
		apiUsed bool
	}{
		{name: "checksum from api", hub: hubSpec{apiSHA: good, apiSize: int64(len(body))}, apiUsed: true},
		{name: "pinned checksum", pinned: good, hub: hubSpec{apiSHA: bad}},
		{name: "pinned checksum mismatch", pinned: bad, hub: hubSpec{},
			wantErr: []string{"sha256 " + good + ", want " + bad}},
		{name: "api checksum mismatch", hub: hubSpec{apiSHA: bad, apiSize: int64(len(body))}, apiUsed: true,
			wantErr: []string{"sha256 " + good + ", want " + bad}},
		{name: "404", pinned: good, hub: hubSpec{status: http.StatusNotFound},
			wantErr: []string{"404 Not Found"}},
		{name: "api without the file", hub: hubSpec{apiSHA: good, apiFile: "pytorch_model.bin"}, apiUsed: true,
			wantErr: []string{"does not list model.safetensors"}},
		{name: "truncated body", pinned: good, hub: hubSpec{sendOnly: 100_000},
			wantErr: []string{"after 100000 bytes"}},
		{name: "short body against api size", hub: hubSpec{apiSHA: good, apiSize: int64(len(body)) + 5}, apiUsed: true,
			wantErr: []string{fmt.Sprintf("got %d bytes, want %d (truncated?)", len(body), len(body)+5)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hub := &fakeHub{repo: repo, file: file, body: body, hubSpec: c.hub}
			entry := KnownWeight{Name: "tiny_test", Repo: repo, File: file, SHA256: c.pinned}
			cacheDir := useFakeHub(t, hub, entry)
			var progress bytes.Buffer
			path, err := ResolveWeights("tiny_test", "", &progress)
			if used := hub.apiCalls.Load() > 0; used != c.apiUsed {
				t.Errorf("hub API used = %v, want %v", used, c.apiUsed)
			}
			if c.wantErr != nil {
				if err == nil {
					t.Fatalf("no error, want %q", c.wantErr)
				}
				msg := err.Error()
				// Every failure says what to fetch and where to put it.
				want := append(append([]string(nil), c.wantErr...), entry.URL(), filepath.Join(cacheDir, "tiny_test.safetensors"), "$"+WeightsDirEnv)
				for _, w := range want {
					if !strings.Contains(msg, w) {
						t.Errorf("error %q does not contain %q", msg, w)
					}
				}
				if left := dirEntries(t, cacheDir); len(left) != 0 {
					t.Errorf("failed download left %v in the cache", left)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(cacheDir, "tiny_test.safetensors"); path != want {
				t.Errorf("path = %s, want %s", path, want)
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("downloaded file differs from the served one (%d vs %d bytes, err %v)", len(got), len(body), err)
			}
			if left := dirEntries(t, cacheDir); len(left) != 1 {
				t.Errorf("cache holds %v, want only the weights file", left)
			}
			if p := progress.String(); !strings.Contains(p, "tiny_test 0.3/0.3 MB 100%") || !strings.HasSuffix(p, "\n") {
				t.Errorf("progress output %q lacks the final 100%% line", p)
			}
			// A second resolution finds the cached file without the network.
			again, err := ResolveWeights("tiny_test", "", nil)
			if err != nil || again != path || hub.fileCalls.Load() != 1 {
				t.Errorf("second resolve = %q, %v after %d downloads; want the cached file, no new download", again, err, hub.fileCalls.Load())
			}
		})
	}
}

func TestWeightsDownloadStall(t *testing.T) {
	body := bytes.Repeat([]byte{1, 2, 3, 4}, 4096)
	hub := &fakeHub{repo: "test/stall", file: "model.safetensors", body: body, hubSpec: hubSpec{stallAfter: 1000}}
	entry := KnownWeight{Name: "stall_test", Repo: hub.repo, File: hub.file, SHA256: sha256Hex(body)}
	cacheDir := useFakeHub(t, hub, entry)
	old := stallTimeout
	stallTimeout = 100 * time.Millisecond
	t.Cleanup(func() { stallTimeout = old })
	_, err := ResolveWeights("stall_test", "", nil)
	if err == nil || !strings.Contains(err.Error(), "no data for 100ms") {
		t.Fatalf("error = %v, want a stalled-download error", err)
	}
	if left := dirEntries(t, cacheDir); len(left) != 0 {
		t.Errorf("stalled download left %v in the cache", left)
	}
}

func TestWeightsResolutionOrder(t *testing.T) {
	hub := &fakeHub{repo: "test/order", file: "model.safetensors", hubSpec: hubSpec{status: http.StatusInternalServerError}}
	cacheDir := useFakeHub(t, hub, KnownWeight{Name: "known", Repo: hub.repo, File: hub.file})
	envDir := t.TempDir()
	write := func(path string, data string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	explicit := write(filepath.Join(t.TempDir(), "mine.safetensors"), "x")
	empty := write(filepath.Join(t.TempDir(), "empty.safetensors"), "")
	inEnv := write(filepath.Join(envDir, "known.safetensors"), "x")
	inCache := write(filepath.Join(cacheDir, "known.safetensors"), "x")
	cachedOnly := write(filepath.Join(cacheDir, "cachedonly.safetensors"), "x")

	cases := []struct {
		name, backbone, explicit, env string
		want                          string // path, or "" for an error
		wantErr                       string
	}{
		{name: "explicit first", backbone: "known", explicit: explicit, env: envDir, want: explicit},
		{name: "explicit missing is an error", backbone: "known", explicit: explicit + ".nope", env: envDir,
			wantErr: "explicit path"},
		{name: "explicit empty is an error", backbone: "known", explicit: empty, wantErr: "is empty"},
		{name: "env dir before cache", backbone: "known", env: envDir, want: inEnv},
		{name: "cache when env unset", backbone: "known", want: inCache},
		{name: "cache when env lacks it", backbone: "cachedonly", env: envDir, want: cachedOnly},
		{name: "unknown name", backbone: "mystery_net", env: envDir,
			wantErr: "no download is known for \"mystery_net\""},
		{name: "path in name", backbone: "../known", wantErr: "invalid backbone name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(WeightsDirEnv, c.env)
			got, err := ResolveWeights(c.backbone, c.explicit, nil)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("ResolveWeights = %q, %v; want an error containing %q", got, err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ResolveWeights = %q, %v; want %q", got, err, c.want)
			}
		})
	}
	if n := hub.fileCalls.Load() + hub.apiCalls.Load(); n != 0 {
		t.Errorf("resolution touched the hub %d times; every case is answered locally", n)
	}
}

func TestKnownWeights(t *testing.T) {
	var want []string
	for i := 0; i <= 5; i++ {
		want = append(want, fmt.Sprintf("efficientnet_b%d", i))
	}
	for i := 0; i <= 7; i++ {
		want = append(want, fmt.Sprintf("tf_efficientnet_b%d", i))
	}
	want = append(want, "mobilenetv2_100")

	hexSHA := regexp.MustCompile(`^[0-9a-f]{64}$`)
	seen := map[string]bool{}
	for _, k := range KnownWeights() {
		if seen[k.Name] {
			t.Errorf("%s listed twice", k.Name)
		}
		seen[k.Name] = true
		if !strings.HasPrefix(k.Repo, "timm/"+k.Name+".") || k.File != "model.safetensors" || k.Note == "" {
			t.Errorf("%s: repo %q, file %q, note %q; want timm/%s.<tag>, model.safetensors, a note", k.Name, k.Repo, k.File, k.Note, k.Name)
		}
		if k.SHA256 != "" && !hexSHA.MatchString(k.SHA256) {
			t.Errorf("%s: pinned sha256 %q is not 64 lowercase hex digits", k.Name, k.SHA256)
		}
		if strings.HasPrefix(k.Name, "tf_") && !strings.HasSuffix(k.Repo, ".aa_in1k") {
			t.Errorf("%s: repo %s, want the paper's AutoAugment weights (.aa_in1k)", k.Name, k.Repo)
		}
	}
	for _, name := range want {
		if !seen[name] {
			t.Errorf("%s missing from KnownWeights", name)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("KnownWeights has %d entries, want %d", len(seen), len(want))
	}

	k, ok := LookupWeights("tf_efficientnet_b4")
	if !ok || k.URL() != "https://huggingface.co/timm/tf_efficientnet_b4.aa_in1k/resolve/main/model.safetensors" {
		t.Errorf("tf_efficientnet_b4 URL = %q (found %v)", k.URL(), ok)
	}
	// The returned table is a copy.
	KnownWeights()[0].Repo = "changed"
	if KnownWeights()[0].Repo == "changed" {
		t.Error("KnownWeights exposes the package table")
	}
}
