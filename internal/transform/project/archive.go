package project

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"
)

// MaxArchiveBytes bounds the uncompressed size of an imported project, so a zip bomb is
// refused before it is read.
const MaxArchiveBytes = 256 << 20

// OpenZip reads a zipped dbt project. The project may sit at the archive's root or in one
// top-level folder, as zipping a directory produces.
func OpenZip(data []byte) (fs.FS, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("not a zip archive: %w", err)
	}
	var total uint64
	root := ""
	found := false
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > MaxArchiveBytes {
			return nil, fmt.Errorf("the archive unpacks to more than %d MiB", MaxArchiveBytes>>20)
		}
		if path.Base(f.Name) == "dbt_project.yml" && (!found || len(path.Dir(f.Name)) < len(root)) {
			root, found = path.Dir(f.Name), true
		}
	}
	if !found {
		return nil, fmt.Errorf("the archive holds no dbt_project.yml")
	}
	if root == "." {
		return zr, nil
	}
	return fs.Sub(zr, root)
}

// WriteZip writes the project's files, byte for byte, as a zip archive with dbt's layout.
func (p *Project) WriteZip(w io.Writer) error {
	zw := zip.NewWriter(w)
	files := p.exportFiles()
	for _, name := range p.sortedFiles() {
		hdr := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Unix(0, 0).UTC()}
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := fw.Write(files[name]); err != nil {
			return err
		}
	}
	return zw.Close()
}

// WriteDir writes the project's files under dir.
func (p *Project) WriteDir(dir string) error {
	files := p.exportFiles()
	for _, name := range p.sortedFiles() {
		full := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
			return err
		}
		if err := os.WriteFile(full, files[name], 0o600); err != nil {
			return err
		}
	}
	return nil
}

func (p *Project) sortedFiles() []string {
	names := make([]string, 0, len(p.Files))
	for n := range p.exportFiles() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// dbtUtilsPackages is what dbt-core needs to resolve dbt_utils.* calls, which this engine
// serves from its built-in library.
const dbtUtilsPackages = "packages:\n  - package: dbt-labs/dbt_utils\n    version: [\">=1.0.0\", \"<2.0.0\"]\n"

// exportFiles is the project as written out: its files unchanged, plus packages.yml naming
// dbt_utils when the project calls it without declaring it, so dbt-core runs the export.
func (p *Project) exportFiles() map[string][]byte {
	if _, ok := p.Files["packages.yml"]; ok {
		return p.Files
	}
	if _, ok := p.Files["dependencies.yml"]; ok {
		return p.Files
	}
	for _, b := range p.Files {
		if bytes.Contains(b, []byte("dbt_utils.")) {
			out := make(map[string][]byte, len(p.Files)+1)
			for k, v := range p.Files {
				out[k] = v
			}
			out["packages.yml"] = []byte(dbtUtilsPackages)
			return out
		}
	}
	return p.Files
}
