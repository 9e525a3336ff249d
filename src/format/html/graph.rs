//! The segment graph as inline SVG: one layer per depth, a box per segment
//! with its label, id and figures inside, and an edge from the bottom centre
//! of each parent's box to the top centre of each child's.
//!
//! In: the report's segments. Out: a [`Layout`] (boxes and edge curves in
//! the SVG's coordinates), then its drawing. The layout keeps every edge off
//! every box but its own two ends: between two layers an edge is a curve in
//! the empty band between them, and an edge that skips layers goes down
//! through a gap between the boxes of each layer it crosses. So no line
//! crosses a label, whatever the package.

use super::escape;
use crate::analysis::report::SegmentRow;
use crate::base::number::{count, decimal};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Width the graph takes at least (the page's other charts are as wide).
const WIDTH: f64 = 960.0;
/// Room above the first layer, for the legend.
const TOP: f64 = 70.0;
/// Height of a box: three lines of text.
const BOX_HEIGHT: f64 = 62.0;
/// Empty band between two layers, where edges bend.
const BAND: f64 = 64.0;
/// Horizontal room between two boxes of a layer, where skipping edges pass.
const GAP: f64 = 30.0;
/// How far an edge stays from a box it passes.
const CLEAR: f64 = 6.0;

/// A point of the drawing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Point {
    pub(super) x: f64,
    pub(super) y: f64,
}

/// A segment's box: its top-left corner and size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Area {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) width: f64,
    pub(super) height: f64,
}

impl Area {
    fn bottom_centre(&self) -> Point {
        Point {
            x: self.x + self.width / 2.0,
            y: self.y + self.height,
        }
    }

    fn top_centre(&self) -> Point {
        Point {
            x: self.x + self.width / 2.0,
            y: self.y,
        }
    }
}

/// One piece of an edge: a cubic curve (a straight line when the control
/// points are on it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Curve {
    pub(super) from: Point,
    pub(super) control: [Point; 2],
    pub(super) to: Point,
}

impl Curve {
    /// A curve leaving `from` straight down and entering `to` straight down.
    fn bend(from: Point, to: Point) -> Curve {
        let middle = (from.y + to.y) / 2.0;
        Curve {
            from,
            control: [
                Point {
                    x: from.x,
                    y: middle,
                },
                Point { x: to.x, y: middle },
            ],
            to,
        }
    }

    fn straight(from: Point, to: Point) -> Curve {
        Curve {
            from,
            control: [from, to],
            to,
        }
    }
}

/// An edge from a parent (`from`, an index into the segments) to a child.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Edge {
    pub(super) from: usize,
    pub(super) to: usize,
    pub(super) curves: Vec<Curve>,
}

/// Where everything goes.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Layout {
    pub(super) width: f64,
    pub(super) height: f64,
    /// Per segment, its box.
    pub(super) boxes: Vec<Area>,
    pub(super) edges: Vec<Edge>,
}

/// How wide a text of `size` pixels is, about: CJK characters are square,
/// others about 0.62 of the size.
fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| {
            if c as u32 >= 0x2E80 {
                size
            } else {
                0.62 * size
            }
        })
        .sum()
}

/// The three lines of a segment's box.
fn lines(s: &SegmentRow) -> [String; 3] {
    let id = if s.label == s.segment {
        String::new()
    } else {
        s.segment.clone()
    };
    [
        s.label.clone(),
        id,
        format!("{} · gain {}", count(s.customers), decimal(s.mean_gain)),
    ]
}

/// The boxes in layers, ordered to cross few edges, and the edges around them.
pub(super) fn layout(segments: &[SegmentRow]) -> Layout {
    let index: HashMap<&str, usize> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| (s.segment.as_str(), i))
        .collect();
    let depth = segments.iter().map(|s| s.depth as usize).max().unwrap_or(0);
    let layers = arrange(segments, &index, depth);
    let box_width = segments
        .iter()
        .map(|s| {
            let [label, id, figures] = lines(s);
            text_width(&label, 14.0)
                .max(text_width(&id, 11.0))
                .max(text_width(&figures, 12.0))
        })
        .fold(120.0, f64::max)
        + 20.0;
    let widest = layers.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let width = WIDTH.max(widest as f64 * (box_width + GAP));
    let layer_top = |d: usize| TOP + d as f64 * (BOX_HEIGHT + BAND);
    let mut boxes = vec![
        Area {
            x: 0.0,
            y: 0.0,
            width: box_width,
            height: BOX_HEIGHT
        };
        segments.len()
    ];
    for (d, layer) in layers.iter().enumerate() {
        for (k, &i) in layer.iter().enumerate() {
            let centre = (k as f64 + 0.5) / layer.len() as f64 * width;
            boxes[i] = Area {
                x: centre - box_width / 2.0,
                y: layer_top(d),
                width: box_width,
                height: BOX_HEIGHT,
            };
        }
    }
    // Per layer, the free spans between its boxes, left to right.
    let gaps: Vec<Vec<(f64, f64)>> = layers
        .iter()
        .map(|layer| {
            let mut edges = vec![0.0];
            for &i in layer {
                edges.push(boxes[i].x);
                edges.push(boxes[i].x + boxes[i].width);
            }
            edges.push(width);
            edges
                .chunks(2)
                .map(|pair| (pair[0] + CLEAR, pair[1] - CLEAR))
                .filter(|(a, b)| b >= a)
                .collect()
        })
        .collect();
    let mut edges = Vec::new();
    for (child, s) in segments.iter().enumerate() {
        for parent in &s.parents {
            let Some(&p) = index.get(parent.as_str()) else {
                continue;
            };
            let (from, to) = (boxes[p].bottom_centre(), boxes[child].top_centre());
            let (dp, dc) = (segments[p].depth as usize, s.depth as usize);
            let mut curves = Vec::new();
            let mut at = from;
            for (d, layer_gaps) in gaps.iter().enumerate().take(dc).skip(dp + 1) {
                // Down through this layer in the gap nearest the straight line.
                let t = (d - dp) as f64 / (dc - dp) as f64;
                let x = nearest_gap(layer_gaps, from.x + (to.x - from.x) * t);
                let top = Point {
                    x,
                    y: layer_top(d) - CLEAR,
                };
                let bottom = Point {
                    x,
                    y: layer_top(d) + BOX_HEIGHT + CLEAR,
                };
                curves.push(Curve::bend(at, top));
                curves.push(Curve::straight(top, bottom));
                at = bottom;
            }
            curves.push(Curve::bend(at, to));
            edges.push(Edge {
                from: p,
                to: child,
                curves,
            });
        }
    }
    Layout {
        width,
        height: layer_top(depth) + BOX_HEIGHT + 12.0,
        boxes,
        edges,
    }
}

/// The x in one of `gaps` nearest to `x`.
fn nearest_gap(gaps: &[(f64, f64)], x: f64) -> f64 {
    gaps.iter()
        .map(|&(a, b)| x.clamp(a, b))
        .min_by(|a, b| (a - x).abs().total_cmp(&(b - x).abs()))
        .unwrap_or(x)
}

/// The segments of each layer, each layer in the order of its parents' mean
/// position (fewer crossings), declaration order among equals.
fn arrange(segments: &[SegmentRow], index: &HashMap<&str, usize>, depth: usize) -> Vec<Vec<usize>> {
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); depth + 1];
    for (i, s) in segments.iter().enumerate() {
        if let Some(layer) = layers.get_mut(s.depth as usize) {
            layer.push(i);
        }
    }
    let mut across = vec![0.5; segments.len()];
    for layer in &mut layers {
        let key = |i: &usize| {
            let parents: Vec<f64> = segments[*i]
                .parents
                .iter()
                .filter_map(|p| index.get(p.as_str()))
                .map(|&p| across[p])
                .collect();
            if parents.is_empty() {
                0.5
            } else {
                parents.iter().sum::<f64>() / parents.len() as f64
            }
        };
        let mut keyed: Vec<(f64, usize)> = layer.iter().map(|i| (key(i), *i)).collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        *layer = keyed.into_iter().map(|(_, i)| i).collect();
        for (k, &i) in layer.iter().enumerate() {
            across[i] = (k as f64 + 0.5) / layer.len() as f64;
        }
    }
    layers
}

/// A colour for `t` in 0..=1 on a light-to-dark blue scale.
fn blue(t: f64) -> String {
    let (r, g, b) = blue_rgb(t);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// [`blue`] as red, green and blue. The scale has two halves, light boxes
/// with dark text below the middle and dark boxes with white text from it
/// (ColorBrewer's Blues less its middle class): a scale running evenly from
/// light to dark must pass a shade on which neither text reaches 4.5:1.
fn blue_rgb(t: f64) -> (u8, u8, u8) {
    const LIGHT: [(f64, f64, f64); 2] = [(222.0, 235.0, 247.0), (107.0, 174.0, 214.0)];
    const DARK: [(f64, f64, f64); 2] = [(33.0, 113.0, 181.0), (8.0, 48.0, 107.0)];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let ([a, b], u) = if t < 0.5 {
        (LIGHT, t * 2.0)
    } else {
        (DARK, (t - 0.5) * 2.0)
    };
    let mix = |p: f64, q: f64| (p + (q - p) * u).round() as u8;
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Whether a box of shade `t` is one of the dark ones, with white text.
fn needs_white_text(t: f64) -> bool {
    t >= 0.5
}

/// The legend: the colour scale from the lowest to the highest mean gain
/// (`range`, none when no segment has customers), and the size bar.
fn legend(out: &mut String, range: Option<(f64, f64)>, biggest: u64) {
    let _ = writeln!(
        out,
        "<defs><linearGradient id=\"gain-scale\">\
         <stop offset=\"0\" stop-color=\"{}\"/><stop offset=\"0.5\" stop-color=\"{}\"/>\
         <stop offset=\"0.5\" stop-color=\"{}\"/><stop offset=\"1\" stop-color=\"{}\"/>\
         </linearGradient></defs>\
         <g class=\"legend\"><text x=\"0\" y=\"16\">Box colour: mean expected gain per customer</text>\
         <rect class=\"scale\" x=\"0\" y=\"24\" width=\"200\" height=\"10\" fill=\"url(#gain-scale)\"/>\
         <text x=\"0\" y=\"50\">{}</text><text x=\"200\" y=\"50\" text-anchor=\"end\">{}</text>\
         <rect class=\"node-size\" x=\"300\" y=\"24\" width=\"40\" height=\"5\"/>\
         <text x=\"350\" y=\"30\">Bar at a box's foot: its customers (largest: {})</text></g>",
        blue(0.0),
        blue(0.4999),
        blue(0.5),
        blue(1.0),
        range.map_or("-".into(), |(low, _)| decimal(low)),
        range.map_or("-".into(), |(_, high)| decimal(high)),
        count(biggest)
    );
}

fn path(curves: &[Curve]) -> String {
    let mut d = String::new();
    if let Some(first) = curves.first() {
        let _ = write!(d, "M{:.1},{:.1}", first.from.x, first.from.y);
    }
    for c in curves {
        let _ = write!(
            d,
            " C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
            c.control[0].x, c.control[0].y, c.control[1].x, c.control[1].y, c.to.x, c.to.y
        );
    }
    d
}

/// The segment graph: a box per segment, coloured by its customers' mean
/// expected gain, with a bar for its share of customers, under its parents.
pub(super) fn segment_graph(segments: &[SegmentRow]) -> String {
    if segments.is_empty() {
        return String::new();
    }
    let layout = layout(segments);
    let biggest = segments.iter().map(|s| s.customers).max().unwrap_or(0);
    let gains: Vec<f64> = segments
        .iter()
        .filter(|s| s.customers > 0)
        .map(|s| s.mean_gain)
        .collect();
    let low = gains.iter().copied().fold(f64::INFINITY, f64::min);
    let high = gains.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let shade = |gain: f64| {
        if high > low {
            (gain - low) / (high - low)
        } else {
            0.6
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" \
         role=\"img\" aria-label=\"The segment graph\">",
        w = layout.width,
        h = layout.height
    );
    legend(
        &mut out,
        (!gains.is_empty()).then_some((low, high)),
        biggest,
    );
    out.push_str("<g class=\"edges\">\n");
    for e in &layout.edges {
        let _ = writeln!(
            out,
            "<path data-from=\"{}\" data-to=\"{}\" d=\"{}\"/>",
            escape(&segments[e.from].segment),
            escape(&segments[e.to].segment),
            path(&e.curves)
        );
    }
    out.push_str("</g>\n");
    for (s, area) in segments.iter().zip(&layout.boxes) {
        let t = shade(s.mean_gain);
        let (fill, dark) = if s.customers > 0 {
            (blue(t), needs_white_text(t))
        } else {
            ("#e5e7eb".to_string(), false)
        };
        let cx = area.x + area.width / 2.0;
        let [label, id, figures] = lines(s);
        let size = if biggest > 0 {
            (area.width - 16.0) * s.customers as f64 / biggest as f64
        } else {
            0.0
        };
        let _ = write!(
            out,
            "<g class=\"node{}\" data-segment=\"{}\"><title>{} ({}): {} customers, {} offers, \
             mean expected gain {}</title>\
             <rect class=\"box\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"6\" fill=\"{fill}\"/>\
             <text class=\"node-label\" x=\"{cx:.1}\" y=\"{:.1}\">{}</text>",
            if dark { " dark" } else { "" },
            escape(&s.segment),
            escape(&s.label),
            escape(&s.segment),
            count(s.customers),
            count(s.offers),
            decimal(s.mean_gain),
            area.x,
            area.y,
            area.width,
            area.height,
            area.y + 18.0,
            escape(&label)
        );
        if !id.is_empty() {
            let _ = write!(
                out,
                "<text class=\"node-id\" x=\"{cx:.1}\" y=\"{:.1}\">{}</text>",
                area.y + 33.0,
                escape(&id)
            );
        }
        let _ = writeln!(
            out,
            "<text class=\"node-figures\" x=\"{cx:.1}\" y=\"{:.1}\">{}</text>\
             <rect class=\"node-size\" x=\"{:.1}\" y=\"{:.1}\" width=\"{size:.1}\" height=\"5\"/></g>",
            area.y + 48.0,
            escape(&figures),
            area.x + 8.0,
            area.y + area.height - 9.0
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The relative luminance of a colour (WCAG 2.1).
    fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }

    /// The contrast ratio of two colours (WCAG 2.1): 1 to 21.
    fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    /// The page's ink, the colour of text on a light box.
    const INK: (u8, u8, u8) = (0x1f, 0x29, 0x33);

    fn segment(name: &str, depth: u32, parents: &[&str]) -> SegmentRow {
        SegmentRow {
            segment: name.to_string(),
            label: format!("{name}客户"),
            depth,
            parents: parents.iter().map(|p| (*p).to_string()).collect(),
            customers: 100,
            offers: 10,
            mean_gain: f64::from(depth),
            median_gain: 0.0,
            p90_gain: 0.0,
        }
    }

    /// A graph like the bundled one: an edge that skips a layer, segments
    /// with two parents, and a wide layer.
    fn segments() -> Vec<SegmentRow> {
        vec![
            segment("everyone", 0, &[]),
            segment("new", 1, &["everyone"]),
            segment("established", 1, &["everyone"]),
            segment("fiber", 1, &["everyone"]),
            segment("monthly", 1, &["everyone"]),
            segment("seniors", 1, &["everyone"]),
            segment("high_value", 2, &["established"]),
            segment("at_risk", 2, &["monthly"]),
            segment("new_fiber", 2, &["new", "fiber"]),
            segment("connected", 2, &["seniors", "fiber"]),
            segment("flexible", 3, &["high_value", "monthly"]),
            segment("skipping", 3, &["new", "everyone"]),
        ]
    }

    fn point(c: &Curve, t: f64) -> Point {
        let u = 1.0 - t;
        let [a, b] = c.control;
        let mix = |p: f64, q: f64, r: f64, s: f64| {
            u * u * u * p + 3.0 * u * u * t * q + 3.0 * u * t * t * r + t * t * t * s
        };
        Point {
            x: mix(c.from.x, a.x, b.x, c.to.x),
            y: mix(c.from.y, a.y, b.y, c.to.y),
        }
    }

    fn inside(area: &Area, p: Point) -> bool {
        p.x > area.x && p.x < area.x + area.width && p.y > area.y && p.y < area.y + area.height
    }

    /// Every edge leaves its parent's box at the bottom centre, enters its
    /// child's at the top centre, and touches no box (where the labels are).
    #[test]
    fn edges_join_box_centres_and_cross_no_box() {
        let segments = segments();
        let layout = layout(&segments);
        assert_eq!(layout.edges.len(), 15);
        for e in &layout.edges {
            let (first, last) = (e.curves[0], e.curves[e.curves.len() - 1]);
            assert_eq!(first.from, layout.boxes[e.from].bottom_centre());
            assert_eq!(last.to, layout.boxes[e.to].top_centre());
            for c in &e.curves {
                for step in 0..=200 {
                    let p = point(c, f64::from(step) / 200.0);
                    for (i, area) in layout.boxes.iter().enumerate() {
                        assert!(
                            !inside(area, p),
                            "edge {} -> {} crosses the box of {} at {p:?}",
                            segments[e.from].segment,
                            segments[e.to].segment,
                            segments[i].segment
                        );
                    }
                }
            }
        }
    }

    /// Boxes of a layer do not overlap, and hold their text.
    #[test]
    fn boxes_are_apart_and_fit_their_text() {
        let segments = segments();
        let layout = layout(&segments);
        for (i, a) in layout.boxes.iter().enumerate() {
            for b in &layout.boxes[i + 1..] {
                let apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y != b.y;
                assert!(apart, "{a:?} overlaps {b:?}");
            }
            assert!(a.x >= 0.0 && a.x + a.width <= layout.width);
        }
        for s in &segments {
            let [label, id, figures] = lines(s);
            assert!(text_width(&label, 14.0) < layout.boxes[0].width);
            assert!(text_width(&id, 11.0) < layout.boxes[0].width);
            assert!(text_width(&figures, 12.0) < layout.boxes[0].width);
        }
    }

    /// The text of every box, whatever its shade, has at least 4.5:1
    /// contrast (WCAG AA for text).
    #[test]
    fn box_text_is_readable_on_every_shade() {
        for step in 0..=100 {
            let t = f64::from(step) / 100.0;
            let fill = blue_rgb(t);
            let text = if needs_white_text(t) {
                (255, 255, 255)
            } else {
                INK
            };
            assert!(contrast(text, fill) >= 4.5, "shade {t}: {fill:?}");
        }
    }

    #[test]
    fn colours_run_light_to_dark() {
        assert_eq!(blue(0.0), "#deebf7");
        assert_eq!(blue(0.49), "#6dafd7");
        assert_eq!(blue(0.5), "#2171b5");
        assert_eq!(blue(1.0), "#08306b");
        assert_eq!(blue(f64::NAN), "#deebf7");
    }
}
