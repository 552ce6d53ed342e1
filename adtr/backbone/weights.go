package backbone

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goadtr/goadtr/internal/atomicfile"
)

// WeightsDirEnv is the environment variable naming a directory of pretrained backbone weights,
// one "<name>.safetensors" file per backbone name.
const WeightsDirEnv = "GOADTR_WEIGHTS_DIR"

// KnownWeight describes where the pretrained weights of one backbone name can be downloaded.
// The files are timm checkpoints on the Hugging Face hub: PyTorch layout, timm tensor names.
type KnownWeight struct {
	// Name is the backbone name and the local file stem: "<Name>.safetensors".
	Name string
	// Repo is the Hugging Face repository, e.g. "timm/tf_efficientnet_b4.aa_in1k".
	Repo string
	// File is the file inside the repository ("model.safetensors").
	File string
	// SHA256 is the pinned hex SHA-256 of the file (its Git LFS oid); empty when not pinned, in
	// which case the download asks the hub API for it first.
	SHA256 string
	// Size is the pinned file size in bytes; 0 when not pinned (the hub API or the HTTP
	// Content-Length provide it).
	Size int64
	// Note says which training recipe the weights come from.
	Note string
}

// hubBaseURL is the Hugging Face hub address; tests point it at a local httptest server.
var hubBaseURL = "https://huggingface.co"

// userCacheDir is os.UserCacheDir; tests point it at a temporary directory.
var userCacheDir = os.UserCacheDir

// URL returns the download address of the weights file:
// "<hub>/<Repo>/resolve/main/<File>".
func (k KnownWeight) URL() string {
	return hubBaseURL + "/" + k.Repo + "/resolve/main/" + k.File
}

// apiURL returns the hub API address listing the repository's files with their LFS SHA-256.
func (k KnownWeight) apiURL() string {
	return hubBaseURL + "/api/models/" + k.Repo + "?blobs=true"
}

// knownWeights is the download table. SHA-256 values are the Git LFS oids shown on the hub's file
// pages (pinned where they could be looked up; the others are fetched from the hub API).
var knownWeights = []KnownWeight{
	// timm's own EfficientNet training runs: architecture "efficientnet_bN" (symmetric padding,
	// BatchNorm eps 1e-5). timm publishes no weights for efficientnet_b6 / efficientnet_b7.
	{Name: "efficientnet_b0", Repo: "timm/efficientnet_b0.ra_in1k", File: "model.safetensors",
		Note: "timm RandAugment ImageNet-1k"},
	{Name: "efficientnet_b1", Repo: "timm/efficientnet_b1.ft_in1k", File: "model.safetensors",
		Note: "timm ImageNet-1k, fine-tuned at higher resolution"},
	{Name: "efficientnet_b2", Repo: "timm/efficientnet_b2.ra_in1k", File: "model.safetensors",
		Note: "timm RandAugment ImageNet-1k"},
	{Name: "efficientnet_b3", Repo: "timm/efficientnet_b3.ra2_in1k", File: "model.safetensors",
		SHA256: "279d2a53898aa89dab43fd6bd7df9f706aea4cb9cf916223988bbcb8e5850469",
		Note:   "timm RandAugment v2 ImageNet-1k"},
	{Name: "efficientnet_b4", Repo: "timm/efficientnet_b4.ra2_in1k", File: "model.safetensors",
		Note: "timm RandAugment v2 ImageNet-1k"},
	{Name: "efficientnet_b5", Repo: "timm/efficientnet_b5.sw_in12k_ft_in1k", File: "model.safetensors",
		Note: "timm ImageNet-12k pretrained, ImageNet-1k fine-tuned"},

	// The original TensorFlow ImageNet weights of the EfficientNet paper (AutoAugment), ported by
	// timm: architecture "tf_efficientnet_bN" (TF "SAME" padding, BatchNorm eps 1e-3). ADTR's
	// paper uses these (EfficientNet-B4).
	{Name: "tf_efficientnet_b0", Repo: "timm/tf_efficientnet_b0.aa_in1k", File: "model.safetensors",
		SHA256: "bc97e48e1360ee9d9c9d8a39ad2fb9b85ad150eb89d6fc69cd0f08301b5e0b3e",
		Note:   "TF AutoAugment ImageNet-1k (paper weights)"},
	{Name: "tf_efficientnet_b1", Repo: "timm/tf_efficientnet_b1.aa_in1k", File: "model.safetensors",
		SHA256: "44df4f85e844442fe761fb0ce92a9e4b96b2ec5d209e9169956fe033da180145",
		Note:   "TF AutoAugment ImageNet-1k (paper weights)"},
	{Name: "tf_efficientnet_b2", Repo: "timm/tf_efficientnet_b2.aa_in1k", File: "model.safetensors",
		SHA256: "08d7bd5d858873cb1a829f51c01811c75117665b1de91c215acbcf836a23a5c9",
		Note:   "TF AutoAugment ImageNet-1k (paper weights)"},
	{Name: "tf_efficientnet_b3", Repo: "timm/tf_efficientnet_b3.aa_in1k", File: "model.safetensors",
		Note: "TF AutoAugment ImageNet-1k (paper weights)"},
	{Name: "tf_efficientnet_b4", Repo: "timm/tf_efficientnet_b4.aa_in1k", File: "model.safetensors",
		Note: "TF AutoAugment ImageNet-1k (paper weights; ADTR's default backbone)"},
	{Name: "tf_efficientnet_b5", Repo: "timm/tf_efficientnet_b5.aa_in1k", File: "model.safetensors",
		SHA256: "e81868f5acfdd37fc79a337761cba24b33611d652ca969cbe9a474fd800ad4de",
		Note:   "TF AutoAugment ImageNet-1k (paper weights)"},
	{Name: "tf_efficientnet_b6", Repo: "timm/tf_efficientnet_b6.aa_in1k", File: "model.safetensors",
		Note: "TF AutoAugment ImageNet-1k (paper weights)"},
	{Name: "tf_efficientnet_b7", Repo: "timm/tf_efficientnet_b7.aa_in1k", File: "model.safetensors",
		Note: "TF AutoAugment ImageNet-1k (paper weights)"},

	// MobileNetV2 1.0, timm "mobilenetv2_100" (ReLU6, symmetric padding, BatchNorm eps 1e-5).
	{Name: "mobilenetv2_100", Repo: "timm/mobilenetv2_100.ra_in1k", File: "model.safetensors",
		SHA256: "55ea4fb3a96010b933710ebf44fc965b070d5cd054d3f35e44f2d1320b4a714e",
		Note:   "timm RandAugment ImageNet-1k"},
}

// KnownWeights returns (a copy of) the table of downloadable backbone weights: EfficientNet
// B0-B5 (timm training), TF EfficientNet B0-B7 (the paper's TensorFlow weights) and MobileNetV2.
func KnownWeights() []KnownWeight {
	return append([]KnownWeight(nil), knownWeights...)
}

// LookupWeights returns the download entry for a backbone name.
func LookupWeights(name string) (KnownWeight, bool) {
	for _, k := range knownWeights {
		if k.Name == name {
			return k, true
		}
	}
	return KnownWeight{}, false
}

// WeightsCacheDir returns the directory downloaded weights are kept in:
// os.UserCacheDir()/goadtr (for example ~/.cache/goadtr on Linux).
func WeightsCacheDir() (string, error) {
	dir, err := userCacheDir()
	if err != nil {
		return "", fmt.Errorf("weights cache directory: %w", err)
	}
	return filepath.Join(dir, "goadtr"), nil
}

// ResolveWeights is ResolveWeightsContext without a deadline.
func ResolveWeights(name, explicitPath string, progress io.Writer) (string, error) {
	return ResolveWeightsContext(context.Background(), name, explicitPath, progress)
}

// ResolveWeightsContext returns the path of the safetensors weights for the backbone name,
// trying in order:
//
//  1. explicitPath, when not empty (it must exist; no fallback);
//  2. $GOADTR_WEIGHTS_DIR/<name>.safetensors;
//  3. WeightsCacheDir()/<name>.safetensors;
//  4. a download from the Hugging Face hub (see KnownWeights) into the cache directory, with a
//     progress bar on progress (nil for none), checked against the expected size and SHA-256.
//
// Files found in steps 1-3 are used as they are. When the download fails the error names the URL
// to fetch by hand and where to put the file.
func ResolveWeightsContext(ctx context.Context, name, explicitPath string, progress io.Writer) (string, error) {
	if explicitPath != "" {
		if err := checkWeightsFile(explicitPath); err != nil {
			return "", fmt.Errorf("weights %s: explicit path: %w", name, err)
		}
		return explicitPath, nil
	}
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return "", fmt.Errorf("weights: invalid backbone name %q", name)
	}
	file := name + ".safetensors"
	envDir := os.Getenv(WeightsDirEnv)
	if envDir != "" {
		p := filepath.Join(envDir, file)
		if checkWeightsFile(p) == nil {
			return p, nil
		}
	}
	cacheDir, err := WeightsCacheDir()
	if err != nil {
		return "", fmt.Errorf("weights %s: %w", name, err)
	}
	cachePath := filepath.Join(cacheDir, file)
	if checkWeightsFile(cachePath) == nil {
		return cachePath, nil
	}
	where := fmt.Sprintf("%s, or $%s/%s", cachePath, WeightsDirEnv, file)
	if envDir != "" {
		where = fmt.Sprintf("%s, or %s", cachePath, filepath.Join(envDir, file))
	}
	k, ok := LookupWeights(name)
	if !ok {
		return "", fmt.Errorf("weights %s: not found (looked for %s) and no download is known for %q; "+
			"put the safetensors file there or pass an explicit path", name, where, name)
	}
	if err := downloadWeights(ctx, k, cachePath, progress); err != nil {
		return "", fmt.Errorf("weights %s: %w\nfetch %s by hand and save it as %s", name, err, k.URL(), where)
	}
	return cachePath, nil
}

// checkWeightsFile reports whether path is an existing, non-empty regular file.
func checkWeightsFile(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if info.Size() == 0 {
		return fmt.Errorf("%s is empty", path)
	}
	return nil
}

// hubClient is the HTTP client for the hub: bounded connection set-up and header waits, no
// overall timeout (the files are large); a stalled body is cut by stallTimeout.
var hubClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
	},
}

// stallTimeout aborts a download that receives no data for this long.
var stallTimeout = 60 * time.Second

// blobInfo is the expected size and SHA-256 of a file to download.
type blobInfo struct {
	size   int64
	sha256 string
}

// expectedBlob returns the pinned size/SHA-256 of k, asking the hub API when the SHA-256 is not
// pinned.
func expectedBlob(ctx context.Context, k KnownWeight) (blobInfo, error) {
	if k.SHA256 != "" {
		return blobInfo{size: k.Size, sha256: k.SHA256}, nil
	}
	u := k.apiURL()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return blobInfo{}, err
	}
	resp, err := hubClient.Do(req)
	if err != nil {
		return blobInfo{}, fmt.Errorf("asking the hub for the checksum: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return blobInfo{}, fmt.Errorf("asking the hub for the checksum: GET %s: %s", u, resp.Status)
	}
	var listing struct {
		Siblings []struct {
			RFilename string `json:"rfilename"`
			Size      int64  `json:"size"`
			LFS       *struct {
				SHA256 string `json:"sha256"`
				Size   int64  `json:"size"`
			} `json:"lfs"`
		} `json:"siblings"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&listing); err != nil {
		return blobInfo{}, fmt.Errorf("reading %s: %w", u, err)
	}
	for _, s := range listing.Siblings {
		if s.RFilename != k.File {
			continue
		}
		if s.LFS == nil || s.LFS.SHA256 == "" {
			return blobInfo{}, fmt.Errorf("%s lists %s without an LFS sha256", u, k.File)
		}
		size := s.LFS.Size
		if size == 0 {
			size = s.Size
		}
		return blobInfo{size: size, sha256: s.LFS.SHA256}, nil
	}
	return blobInfo{}, fmt.Errorf("%s does not list %s", u, k.File)
}

// downloadWeights fetches k into dst through a temporary file in dst's directory, verifying
// size and SHA-256 before renaming it into place. On failure nothing is left behind.
func downloadWeights(ctx context.Context, k KnownWeight, dst string, progress io.Writer) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	want, err := expectedBlob(ctx, k)
	if err != nil {
		return err
	}
	u := k.URL()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := hubClient.Do(req)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download: GET %s: %s", u, resp.Status)
	}
	if want.size == 0 && resp.ContentLength > 0 {
		want.size = resp.ContentLength
	}

	// Cancel the request when the body stalls.
	stall := time.AfterFunc(stallTimeout, func() {
		cancel(fmt.Errorf("no data for %s", stallTimeout))
	})
	defer stall.Stop()

	if progress == nil {
		progress = io.Discard
	}
	bar := newProgressBar(progress, k.Name, want.size)
	hash := sha256.New()
	err = atomicfile.WriteFunc(dst, func(w io.Writer) error {
		n, err := io.Copy(io.MultiWriter(w, hash, bar, stallResetter{stall}), resp.Body)
		bar.finish()
		if err != nil {
			if cause := context.Cause(ctx); cause != nil {
				err = cause
			}
			return fmt.Errorf("download: GET %s: after %d bytes: %w", u, n, err)
		}
		if want.size > 0 && n != want.size {
			return fmt.Errorf("download: GET %s: got %d bytes, want %d (truncated?)", u, n, want.size)
		}
		if got := hex.EncodeToString(hash.Sum(nil)); !strings.EqualFold(got, want.sha256) {
			return fmt.Errorf("download: GET %s: sha256 %s, want %s (corrupted or changed upstream)", u, got, want.sha256)
		}
		return nil
	})
	return err
}

// stallResetter re-arms the stall timer on every chunk received.
type stallResetter struct{ t *time.Timer }

// Write implements io.Writer.
func (s stallResetter) Write(p []byte) (int, error) {
	s.t.Reset(stallTimeout)
	return len(p), nil
}

// progressBar writes a one-line download progress ("name 12.3/77.9 MB  15%  5.1 MB/s") at most
// every progressEvery, and a final line when done.
type progressBar struct {
	w                io.Writer
	name             string
	total, done      int64
	start, lastPrint time.Time
}

// progressEvery bounds how often the progress line is redrawn.
const progressEvery = 250 * time.Millisecond

// newProgressBar returns a progress bar for a download of total bytes (0 when unknown).
func newProgressBar(w io.Writer, name string, total int64) *progressBar {
	now := time.Now()
	return &progressBar{w: w, name: name, total: total, start: now, lastPrint: now}
}

// Write counts downloaded bytes and redraws the line when due.
func (p *progressBar) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if now := time.Now(); now.Sub(p.lastPrint) >= progressEvery {
		p.lastPrint = now
		p.print("\r")
	}
	return len(b), nil
}

// finish draws the final state and ends the line.
func (p *progressBar) finish() {
	p.print("\r")
	fmt.Fprintln(p.w)
}

// print draws the progress line, prefixed by prefix.
func (p *progressBar) print(prefix string) {
	const mb = 1e6
	rate := 0.0
	if secs := time.Since(p.start).Seconds(); secs > 0 {
		rate = float64(p.done) / mb / secs
	}
	if p.total > 0 {
		fmt.Fprintf(p.w, "%s%s %.1f/%.1f MB %3.0f%% %.1f MB/s", prefix, p.name,
			float64(p.done)/mb, float64(p.total)/mb, 100*float64(p.done)/float64(p.total), rate)
	} else {
		fmt.Fprintf(p.w, "%s%s %.1f MB %.1f MB/s", prefix, p.name, float64(p.done)/mb, rate)
	}
}
