package main

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

var peerColors = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, // gregor: blue
	{0x9e, 0xc9, 0xe6, 0xff}, // gregor-osflush: light blue
	{0xff, 0x7f, 0x0e, 0xff}, // kfake: orange
	{0x2c, 0xa0, 0x2c, 0xff}, // nats: green
	{0x94, 0x67, 0xbd, 0xff},
}

// panel is one bar chart: groups of one bar per peer.
type panel struct {
	title  string
	groups []string // labels
	rows   []string // the metric of each group
	top    int      // y of the panel's top edge
	height int
}

// plot draws throughput and latency bar charts (medians, with a min–max
// whisker) to path as PNG, with the standard library and a bitmap font.
func (r *results) plot(path string, ps []peer) error {
	const w, h = 1300, 860
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	panels := []panel{
		{title: "Throughput, MB/s (median of rounds; whisker: min-max)", top: 40, height: 380,
			groups: []string{"produce 16p 1K", "consume 16p 1K", "produce 100p 1K", "consume 100p 1K", "produce 16p 100B", "consume 16p 100B", "produce many-p 1K", "consume many-p 1K"},
			rows:   []string{mProduce16, mConsume16, mProduce100, mConsume100, mProduceSmall, mConsumeSmall, mProduceWide, mConsumeWide}},
		{title: "End-to-end latency, ms (from intended send time)", top: 480, height: 300,
			groups: []string{"p50 @ 1k/s", "p99 @ 1k/s", "p50 @ 10k/s", "p99 @ 10k/s"},
			rows:   []string{mE2E1kP50, mE2E1kP99, mE2E10kP50, mE2E10kP99}},
	}
	for _, pn := range panels {
		r.drawPanel(img, pn, ps, w)
	}
	for i, p := range ps {
		x := 80 + i*220
		fill(img, image.Rect(x, h-40, x+16, h-24), peerColors[i%len(peerColors)])
		text(img, x+22, h-27, p.name)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (r *results) drawPanel(img *image.RGBA, pn panel, ps []peer, w int) {
	const left, right = 70, 20
	text(img, left, pn.top-12, pn.title)
	bottom := pn.top + pn.height
	maxV := 0.0
	for _, m := range pn.rows {
		for _, p := range ps {
			if s, ok := r.stat(m, p.name); ok {
				maxV = max(maxV, s.hi)
			}
		}
	}
	if maxV <= 0 {
		maxV = 1
	}
	grey := color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	for i := 0; i <= 4; i++ {
		y := bottom - i*pn.height/4
		fill(img, image.Rect(left, y, w-right, y+1), grey)
		text(img, 4, y+4, num(maxV*float64(i)/4))
	}
	groupW := (w - left - right) / len(pn.rows)
	barW := (groupW - 20) / max(len(ps), 1)
	scale := func(v float64) int { return bottom - int(v/maxV*float64(pn.height)) }
	for gi, m := range pn.rows {
		gx := left + gi*groupW + 10
		for pi, p := range ps {
			s, ok := r.stat(m, p.name)
			if !ok {
				continue
			}
			x := gx + pi*barW
			fill(img, image.Rect(x, scale(s.med), x+barW-2, bottom), peerColors[pi%len(peerColors)])
			mid := x + barW/2 - 1
			fill(img, image.Rect(mid, scale(s.hi), mid+1, scale(s.lo)+1), color.Black)
		}
		text(img, gx, bottom+16, pn.groups[gi])
	}
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, &image.Uniform{c}, image.Point{}, draw.Src)
}

func text(img *image.RGBA, x, y int, s string) {
	d := &font.Drawer{Dst: img, Src: image.Black, Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
