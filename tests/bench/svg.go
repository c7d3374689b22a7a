package main

// Hand-written SVG, no plotting library: the same Results always give the
// same bytes (fixed order, fixed number formatting, no clock).

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

var modeColors = map[string]string{
	"cold":             "#d62728",
	"warm":             "#ff7f0e",
	"snapshot":         "#2ca02c",
	"snapshot-busybox": "#98df8a",
	"limit":            "#1f77b4",
	"store":            "#ff7f0e",
	"tar-x":            "#1f77b4",
	"warm-local-build": "#2ca02c",
}

func modeColor(name string) string {
	if c, ok := modeColors[name]; ok {
		return c
	}
	return "#7f7f7f"
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// f formats a coordinate.
func f(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	s := fmt.Sprintf("%.1f", v)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		s = "0"
	}
	return s
}

type svgDoc struct {
	b    strings.Builder
	w, h float64
}

func (d *svgDoc) open(w, h float64, title string) {
	d.w, d.h = w, h
	fmt.Fprintf(&d.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n", f(w), f(h), f(w), f(h))
	fmt.Fprintf(&d.b, "<title>%s</title>\n", esc(title))
	fmt.Fprintf(&d.b, `<rect x="0" y="0" width="%s" height="%s" fill="#ffffff"/>`+"\n", f(w), f(h))
}

func (d *svgDoc) text(x, y float64, anchor, attrs, s string) {
	if attrs != "" {
		attrs = " " + attrs
	}
	fmt.Fprintf(&d.b, `<text x="%s" y="%s" text-anchor="%s"%s>%s</text>`+"\n", f(x), f(y), anchor, attrs, esc(s))
}

func (d *svgDoc) line(x1, y1, x2, y2 float64, attrs string) {
	fmt.Fprintf(&d.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" %s/>`+"\n", f(x1), f(y1), f(x2), f(y2), attrs)
}

func (d *svgDoc) rect(x, y, w, h float64, attrs string) {
	fmt.Fprintf(&d.b, `<rect x="%s" y="%s" width="%s" height="%s" %s/>`+"\n", f(x), f(y), f(w), f(h), attrs)
}

func (d *svgDoc) close() string {
	d.b.WriteString("</svg>\n")
	return d.b.String()
}

// niceMax returns an axis top ≥ v and a tick step of 1, 2, 2.5 or 5 × 10^k
// with at most 6 ticks above zero.
func niceMax(v float64) (float64, float64) {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1, 0.2
	}
	exp := math.Pow(10, math.Floor(math.Log10(v))-1)
	for {
		for _, m := range []float64{1, 2, 2.5, 5} {
			step := m * exp
			n := math.Ceil(v/step - 1e-9)
			if n <= 6 {
				return n * step, step
			}
		}
		exp *= 10
	}
}

func tickLabel(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 1:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", v), "0"), ".")
	default:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
	}
}

// barChartSVG: one panel per ecosystem/set, a horizontal bar per mode
// (median seconds, linear scale per panel) with a min–max whisker.
func barChartSVG(r *Results) string {
	const (
		width    = 860.0
		left     = 190.0
		right    = 90.0
		rowH     = 20.0
		panelGap = 44.0
		top      = 56.0
	)
	var d svgDoc
	h := top + 20
	for _, g := range r.Groups {
		h += panelGap + float64(len(g.Modes))*rowH + 18
	}
	if len(r.Groups) == 0 {
		h += 40
	}
	d.open(width, h, "prewarm time-to-ready: seconds per mode")
	d.text(width/2, 24, "middle", `font-size="16" font-weight="bold"`, "prewarm time-to-ready (seconds, median of "+fmt.Sprint(r.Runs)+" runs; whisker = min–max)")
	d.text(width/2, 42, "middle", `fill="#555555"`, r.Machine.Date+" · "+fmt.Sprintf("%d × %s", r.Machine.NProc, r.Machine.CPU)+" · each panel has its own scale")
	if len(r.Groups) == 0 {
		d.text(width/2, top+30, "middle", "", "no measurements")
		return d.close()
	}
	y := top
	plotW := width - left - right
	for _, g := range r.Groups {
		y += panelGap
		title := g.Set
		if g.Packages > 0 {
			title = fmt.Sprintf("%s — %d packages", g.Set, g.Packages)
		}
		d.text(12, y-14, "start", `font-size="13" font-weight="bold"`, title)
		var vmax float64
		for _, m := range g.Modes {
			s := stat(m.Seconds)
			if s.N > 0 && s.Max > vmax {
				vmax = s.Max
			}
		}
		top, step := niceMax(vmax)
		panelH := float64(len(g.Modes)) * rowH
		for t := 0.0; t <= top*1.000001; t += step {
			x := left + t/top*plotW
			d.line(x, y-4, x, y+panelH, `stroke="#e0e0e0" stroke-width="1"`)
			d.text(x, y+panelH+13, "middle", `font-size="10" fill="#555555"`, tickLabel(t))
		}
		for i, m := range g.Modes {
			s := stat(m.Seconds)
			ry := y + float64(i)*rowH
			d.text(left-8, ry+rowH/2+4, "end", "", m.Name)
			if s.N == 0 {
				d.text(left+4, ry+rowH/2+4, "start", `fill="#999999"`, "not measured")
				continue
			}
			bw := s.Median / top * plotW
			d.rect(left, ry+3, math.Max(bw, 1), rowH-6, `fill="`+modeColor(m.Name)+`"`)
			x1, x2 := left+s.Min/top*plotW, left+s.Max/top*plotW
			cy := ry + rowH/2
			d.line(x1, cy, x2, cy, `stroke="#333333" stroke-width="1"`)
			d.line(x1, cy-4, x1, cy+4, `stroke="#333333" stroke-width="1"`)
			d.line(x2, cy-4, x2, cy+4, `stroke="#333333" stroke-width="1"`)
			d.text(math.Max(x2, left+bw)+6, cy+4, "start", `font-size="11"`, secs(s.Median)+" s")
		}
		d.line(left, y-4, left, y+panelH, `stroke="#333333" stroke-width="1"`)
		y += panelH + 18
	}
	return d.close()
}

// scalingSVG: left, npm setup seconds against package count per mode (log
// seconds); right, cache volume bytes against lockfile versions with and
// without the pruner.
func scalingSVG(r *Results) string {
	const (
		width  = 960.0
		height = 440.0
		panelW = 400.0
		panelH = 290.0
		top    = 92.0
	)
	var d svgDoc
	d.open(width, height, "prewarm scaling: npm seconds per package count, cache bytes per lockfile version")
	d.text(width/2, 24, "middle", `font-size="16" font-weight="bold"`, "prewarm scaling")
	d.text(width/2, 42, "middle", `fill="#555555"`, r.Machine.Date+" · "+fmt.Sprintf("%d × %s", r.Machine.NProc, r.Machine.CPU))

	// Left: seconds vs packages.
	lx := 70.0
	d.text(lx+panelW/2, top-30, "middle", `font-size="13" font-weight="bold"`, "npm setup seconds (median, log scale) by package count")
	var groups []Group
	for _, g := range r.Groups {
		if g.Eco == "npm" && g.Packages > 0 {
			groups = append(groups, g)
		}
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].Packages < groups[j].Packages })
	if len(groups) == 0 {
		d.text(lx+panelW/2, top+panelH/2, "middle", `fill="#999999"`, "no npm measurements")
	} else {
		lo, hi := math.Inf(1), math.Inf(-1)
		maxPk := 0
		for _, g := range groups {
			if g.Packages > maxPk {
				maxPk = g.Packages
			}
			for _, m := range g.Modes {
				if v := median(m.Seconds); !math.IsNaN(v) && v > 0 {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
		if math.IsInf(lo, 0) {
			lo, hi = 0.1, 1
		}
		dLo, dHi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
		if dHi == dLo {
			dHi++
		}
		xTop, xStep := niceMax(float64(maxPk))
		px := func(n float64) float64 { return lx + n/xTop*panelW }
		py := func(v float64) float64 { return top + panelH - (math.Log10(v)-dLo)/(dHi-dLo)*panelH }
		for e := dLo; e <= dHi; e++ {
			v := math.Pow(10, e)
			d.line(lx, py(v), lx+panelW, py(v), `stroke="#e0e0e0" stroke-width="1"`)
			d.text(lx-6, py(v)+4, "end", `font-size="10" fill="#555555"`, tickLabel(v))
			if e < dHi {
				for _, k := range []float64{2, 5} {
					d.line(lx, py(k*v), lx+panelW, py(k*v), `stroke="#f2f2f2" stroke-width="1"`)
				}
			}
		}
		for t := 0.0; t <= xTop*1.000001; t += xStep {
			d.line(px(t), top+panelH, px(t), top+panelH+4, `stroke="#333333" stroke-width="1"`)
			d.text(px(t), top+panelH+16, "middle", `font-size="10" fill="#555555"`, tickLabel(t))
		}
		d.line(lx, top, lx, top+panelH, `stroke="#333333" stroke-width="1"`)
		d.line(lx, top+panelH, lx+panelW, top+panelH, `stroke="#333333" stroke-width="1"`)
		d.text(lx+panelW/2, top+panelH+34, "middle", "", "installed packages")
		d.text(18, top+panelH/2, "middle", `transform="rotate(-90 18 `+f(top+panelH/2)+`)"`, "seconds")
		lgx := lx
		for _, m := range groups[0].Modes {
			var pts []string
			for _, g := range groups {
				gm := g.mode(m.Name)
				if gm == nil {
					continue
				}
				v := median(gm.Seconds)
				if math.IsNaN(v) || v <= 0 {
					continue
				}
				pts = append(pts, f(px(float64(g.Packages)))+","+f(py(v)))
			}
			c := modeColor(m.Name)
			if len(pts) > 1 {
				fmt.Fprintf(&d.b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), c)
			}
			for _, p := range pts {
				x, y, _ := strings.Cut(p, ",")
				fmt.Fprintf(&d.b, `<circle cx="%s" cy="%s" r="3.5" fill="%s"/>`+"\n", x, y, c)
			}
			// legend: one row between the title and the plot
			d.rect(lgx, top-19, 12, 10, `fill="`+c+`"`)
			d.text(lgx+16, top-10, "start", `font-size="11"`, m.Name)
			lgx += 28 + 6.2*float64(len(m.Name))
		}
	}

	// Right: cache bytes vs versions.
	rx := 540.0
	d.text(rx+panelW/2, top-30, "middle", `font-size="13" font-weight="bold"`, "npm cache volume (MiB) after N lockfile versions")
	if r.Cache == nil || len(r.Cache.Points) == 0 {
		d.text(rx+panelW/2, top+panelH/2, "middle", `fill="#999999"`, "not measured")
		return d.close()
	}
	pts := r.Cache.Points
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	var vmax float64
	for _, p := range pts {
		vmax = math.Max(vmax, math.Max(mib(p.Bytes), mib(p.PrunedBytes)))
	}
	vmax = math.Max(vmax, mib(r.Cache.BudgetBytes))
	yTop, yStep := niceMax(vmax * 1.05)
	n := len(pts)
	px := func(v int) float64 {
		if n == 1 {
			return rx + panelW/2
		}
		return rx + 20 + float64(v-1)/float64(n-1)*(panelW-40)
	}
	py := func(v float64) float64 { return top + panelH - v/yTop*panelH }
	for t := 0.0; t <= yTop*1.000001; t += yStep {
		d.line(rx, py(t), rx+panelW, py(t), `stroke="#e0e0e0" stroke-width="1"`)
		d.text(rx-6, py(t)+4, "end", `font-size="10" fill="#555555"`, tickLabel(t))
	}
	for _, p := range pts {
		d.text(px(p.Version), top+panelH+16, "middle", `font-size="10" fill="#555555"`, fmt.Sprintf("v%d", p.Version))
	}
	d.line(rx, top, rx, top+panelH, `stroke="#333333" stroke-width="1"`)
	d.line(rx, top+panelH, rx+panelW, top+panelH, `stroke="#333333" stroke-width="1"`)
	d.text(rx+panelW/2, top+panelH+34, "middle", "", "lockfile versions installed (one more dependency each)")
	by := py(mib(r.Cache.BudgetBytes))
	d.line(rx, by, rx+panelW, by, `stroke="#555555" stroke-width="1" stroke-dasharray="5,4"`)
	d.text(rx+panelW-4, by-5, "end", `font-size="10" fill="#555555"`, "pruner budget "+human(r.Cache.BudgetBytes))
	series := []struct {
		name, color string
		val         func(CachePoint) (int64, int)
	}{
		{"no pruner", "#d62728", func(p CachePoint) (int64, int) { return p.Bytes, p.Snapshots }},
		{"pruned after each version", "#2ca02c", func(p CachePoint) (int64, int) { return p.PrunedBytes, p.PrunedSnapshots }},
	}
	for si, s := range series {
		var line []string
		for _, p := range pts {
			v, _ := s.val(p)
			line = append(line, f(px(p.Version))+","+f(py(mib(v))))
		}
		if len(line) > 1 {
			fmt.Fprintf(&d.b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(line, " "), s.color)
		}
		for _, p := range pts {
			v, snaps := s.val(p)
			x, y := px(p.Version), py(mib(v))
			fmt.Fprintf(&d.b, `<circle cx="%s" cy="%s" r="3.5" fill="%s"/>`+"\n", f(x), f(y), s.color)
			dy := -8.0
			if si == 1 {
				dy = 16
			}
			d.text(x, y+dy, "middle", `font-size="9" fill="`+s.color+`"`, fmt.Sprintf("%d snap", snaps))
		}
		lgx := rx + float64(si)*110
		d.rect(lgx, top-19, 12, 10, `fill="`+s.color+`"`)
		d.text(lgx+16, top-10, "start", `font-size="11"`, s.name)
	}
	return d.close()
}
