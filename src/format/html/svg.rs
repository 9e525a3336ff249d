//! The page's charts as inline SVG: the segment graph, bars, gain ranges and
//! changes. Drawn by hand in a fixed coordinate system (`viewBox`) that the
//! browser scales to the page, so there is no script and no chart library.
//! Text inherits the page's fonts, CJK fallbacks included.

use super::escape;
use crate::analysis::report::SegmentRow;
use crate::base::number::{count, decimal};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Width of every chart's coordinate system.
const WIDTH: f64 = 960.0;
/// Room for the row labels on the left of bar charts.
const LABEL: f64 = 210.0;

/// A row label: a display name and the identifier under it.
pub(super) struct Label {
    pub(super) name: String,
    pub(super) id: String,
}

fn open(out: &mut String, width: f64, height: f64, label: &str) {
    let _ = writeln!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" \
         height=\"{height:.0}\" role=\"img\" aria-label=\"{}\">",
        escape(label)
    );
}

/// Writes a row label with its top at `y`; rows are 34 high.
fn row_label(out: &mut String, label: &Label, y: f64) {
    if label.name.is_empty() || label.name == label.id {
        let _ = writeln!(
            out,
            "<text class=\"row-name\" x=\"0\" y=\"{:.1}\">{}</text>",
            y + 21.0,
            escape(&label.id)
        );
    } else {
        let _ = writeln!(
            out,
            "<text class=\"row-name\" x=\"0\" y=\"{:.1}\">{}</text>\
             <text class=\"row-id\" x=\"0\" y=\"{:.1}\">{}</text>",
            y + 15.0,
            escape(&label.name),
            y + 29.0,
            escape(&label.id)
        );
    }
}

fn stripes(out: &mut String, rows: usize, top: f64, height: f64) {
    for i in (1..rows).step_by(2) {
        let _ = writeln!(
            out,
            "<rect class=\"stripe\" x=\"0\" y=\"{:.1}\" width=\"{WIDTH:.0}\" height=\"{height:.1}\"/>",
            top + i as f64 * height
        );
    }
}

/// One panel of [`bars`]: a title, a value and its text per row, a colour class.
pub(super) struct Panel<'a> {
    pub(super) title: &'a str,
    pub(super) values: Vec<f64>,
    pub(super) texts: Vec<String>,
    pub(super) class: &'a str,
}

/// Horizontal bars: one row per label, one panel per measure side by side,
/// each panel on its own scale.
pub(super) fn bars(labels: &[Label], panels: &[Panel<'_>], aria: &str) -> String {
    const ROW: f64 = 34.0;
    const TOP: f64 = 30.0;
    const GAP: f64 = 28.0;
    const TEXT: f64 = 70.0;
    let n = panels.len().max(1) as f64;
    let panel_width = (WIDTH - LABEL - GAP * (n - 1.0)) / n;
    let height = TOP + ROW * labels.len() as f64 + 4.0;
    let mut out = String::new();
    open(&mut out, WIDTH, height, aria);
    stripes(&mut out, labels.len(), TOP, ROW);
    for (i, label) in labels.iter().enumerate() {
        row_label(&mut out, label, TOP + i as f64 * ROW);
    }
    for (p, panel) in panels.iter().enumerate() {
        let x0 = LABEL + p as f64 * (panel_width + GAP);
        let max = panel.values.iter().copied().fold(0.0, f64::max);
        let room = panel_width - TEXT;
        let _ = writeln!(
            out,
            "<text class=\"panel-title\" x=\"{x0:.1}\" y=\"18\">{}</text>\
             <line class=\"axis\" x1=\"{x0:.1}\" y1=\"{TOP:.1}\" x2=\"{x0:.1}\" y2=\"{:.1}\"/>",
            escape(panel.title),
            height - 4.0
        );
        for (i, value) in panel.values.iter().enumerate() {
            let w = if max > 0.0 {
                (value / max).max(0.0) * room
            } else {
                0.0
            };
            let y = TOP + i as f64 * ROW + 10.0;
            let text = panel.texts.get(i).map_or("", String::as_str);
            let _ = writeln!(
                out,
                "<rect class=\"{}\" x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"14\" rx=\"2\">\
                 <title>{}: {}</title></rect>\
                 <text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                escape(panel.class),
                escape(panel.title),
                escape(text),
                x0 + w + 6.0,
                y + 11.5,
                escape(text)
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

/// The step between axis ticks: 1, 2 or 5 times a power of ten, giving
/// about `ticks` ticks up to `max`.
fn tick_step(max: f64, ticks: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let raw = max / ticks;
    let magnitude = 10f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let step = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    step * magnitude
}

fn tick_text(value: f64, step: f64) -> String {
    if step >= 1.0 {
        format!("{value:.0}")
    } else if step >= 0.1 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// One row of [`gain_ranges`].
pub(super) struct Range {
    pub(super) label: Label,
    pub(super) mean: f64,
    pub(super) median: f64,
    pub(super) p90: f64,
}

/// Expected gain per customer by segment: a bar to the median, a whisker on
/// to the 90th percentile and a dot at the mean, on one shared axis.
pub(super) fn gain_ranges(rows: &[Range], aria: &str) -> String {
    const ROW: f64 = 34.0;
    const TOP: f64 = 34.0;
    const TEXT: f64 = 170.0;
    let plot = WIDTH - LABEL - TEXT;
    let max = rows
        .iter()
        .map(|r| r.p90.max(r.mean).max(r.median))
        .fold(0.0, f64::max);
    let step = tick_step(max, 5.0);
    let top_value = ((max / step).ceil() * step).max(step);
    let x = |v: f64| LABEL + (v.max(0.0) / top_value) * plot;
    let bottom = TOP + ROW * rows.len() as f64;
    let height = bottom + 24.0;
    let mut out = String::new();
    open(&mut out, WIDTH, height, aria);
    let _ = writeln!(
        out,
        "<g class=\"legend\"><rect class=\"median-bar\" x=\"{LABEL:.0}\" y=\"6\" width=\"22\" height=\"12\"/>\
         <text x=\"{:.0}\" y=\"16\">half the customers gain less than this (median)</text>\
         <line class=\"whisker\" x1=\"{:.0}\" y1=\"12\" x2=\"{:.0}\" y2=\"12\"/>\
         <text x=\"{:.0}\" y=\"16\">up to the top tenth (p90)</text>\
         <circle class=\"mean-dot\" cx=\"{:.0}\" cy=\"12\" r=\"5\"/>\
         <text x=\"{:.0}\" y=\"16\">mean</text>\
         <text x=\"{:.0}\" y=\"16\">mean · median · p90</text></g>",
        LABEL + 28.0,
        LABEL + 328.0,
        LABEL + 350.0,
        LABEL + 356.0,
        LABEL + 522.0,
        LABEL + 532.0,
        WIDTH - TEXT + 12.0
    );
    stripes(&mut out, rows.len(), TOP, ROW);
    let mut tick = 0.0;
    while tick <= top_value + step / 2.0 {
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{0:.1}\" y1=\"{TOP:.1}\" x2=\"{0:.1}\" y2=\"{bottom:.1}\"/>\
             <text class=\"tick\" x=\"{0:.1}\" y=\"{1:.1}\">{2}</text>",
            x(tick),
            bottom + 16.0,
            tick_text(tick, step)
        );
        tick += step;
    }
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + i as f64 * ROW;
        row_label(&mut out, &r.label, y);
        let mid = y + 17.0;
        let (median, p90, mean) = (x(r.median), x(r.p90), x(r.mean));
        let _ = writeln!(
            out,
            "<g><title>{id}: mean {m}, median {md}, p90 {p}</title>\
             <rect class=\"median-bar\" x=\"{LABEL:.1}\" y=\"{bar_y:.1}\" width=\"{bar_w:.1}\" height=\"12\"/>\
             <line class=\"whisker\" x1=\"{median:.1}\" y1=\"{mid:.1}\" x2=\"{p90:.1}\" y2=\"{mid:.1}\"/>\
             <line class=\"whisker\" x1=\"{p90:.1}\" y1=\"{tick_top:.1}\" x2=\"{p90:.1}\" y2=\"{tick_bottom:.1}\"/>\
             <circle class=\"mean-dot\" cx=\"{mean:.1}\" cy=\"{mid:.1}\" r=\"5\"/></g>\
             <text class=\"value\" x=\"{text_x:.1}\" y=\"{text_y:.1}\">{m} · {md} · {p}</text>",
            id = escape(&r.label.id),
            m = decimal(r.mean),
            md = decimal(r.median),
            p = decimal(r.p90),
            bar_y = mid - 6.0,
            bar_w = median - LABEL,
            tick_top = mid - 5.0,
            tick_bottom = mid + 5.0,
            text_x = WIDTH - TEXT + 12.0,
            text_y = mid + 4.0,
        );
    }
    out.push_str("</svg>\n");
    out
}

/// Changes as bars from a centre line: gains to the right, losses to the left.
pub(super) fn changes(labels: &[Label], values: &[f64], texts: &[String], aria: &str) -> String {
    const ROW: f64 = 34.0;
    const TOP: f64 = 8.0;
    const TEXT: f64 = 70.0;
    let half = (WIDTH - LABEL - 2.0 * TEXT) / 2.0;
    let centre = LABEL + TEXT + half;
    let max = values.iter().map(|v| v.abs()).fold(0.0, f64::max);
    let height = TOP + ROW * labels.len() as f64 + 4.0;
    let mut out = String::new();
    open(&mut out, WIDTH, height, aria);
    stripes(&mut out, labels.len(), TOP, ROW);
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{centre:.1}\" y1=\"{TOP:.1}\" x2=\"{centre:.1}\" y2=\"{:.1}\"/>",
        height - 4.0
    );
    for (i, label) in labels.iter().enumerate() {
        let y = TOP + i as f64 * ROW;
        row_label(&mut out, label, y);
        let value = values.get(i).copied().unwrap_or(0.0);
        let text = texts.get(i).map_or("", String::as_str);
        let w = if max > 0.0 {
            value.abs() / max * half
        } else {
            0.0
        };
        let (x, class, text_x, anchor) = if value < 0.0 {
            (centre - w, "loss", centre - w - 6.0, "end")
        } else {
            (centre, "gain", centre + w + 6.0, "start")
        };
        let _ = writeln!(
            out,
            "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"14\" rx=\"2\"/>\
             <text class=\"value\" text-anchor=\"{anchor}\" x=\"{text_x:.1}\" y=\"{:.1}\">{}</text>",
            y + 10.0,
            y + 21.5,
            escape(text)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// A colour for `t` in 0..=1 on a light-to-dark blue scale.
fn blue(t: f64) -> String {
    const STOPS: [(f64, f64, f64); 3] = [
        (222.0, 235.0, 247.0),
        (107.0, 174.0, 214.0),
        (8.0, 69.0, 148.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (a, b, u) = if t < 0.5 {
        (STOPS[0], STOPS[1], t * 2.0)
    } else {
        (STOPS[1], STOPS[2], (t - 0.5) * 2.0)
    };
    let mix = |p: f64, q: f64| (p + (q - p) * u).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

/// Where each segment sits across its layer, from 0 to 1, and how many
/// segments the widest layer holds. Each layer is in the order of its
/// parents' mean position (fewer crossings), declaration order among equals.
fn arrange(
    segments: &[SegmentRow],
    index: &HashMap<&str, usize>,
    depth: usize,
) -> (Vec<f64>, usize) {
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); depth + 1];
    for (i, s) in segments.iter().enumerate() {
        if let Some(layer) = layers.get_mut(s.depth as usize) {
            layer.push(i);
        }
    }
    let widest = layers.iter().map(Vec::len).max().unwrap_or(1);
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
    (across, widest)
}

/// The segment graph's legend: the colour scale from the lowest to the
/// highest mean gain (`range`, none when no segment has customers), and a
/// circle of `key_radius` for the biggest segment's customers.
fn graph_legend(out: &mut String, range: Option<(f64, f64)>, biggest: u64, key_radius: f64) {
    let _ = writeln!(
        out,
        "<defs><linearGradient id=\"gain-scale\">\
         <stop offset=\"0\" stop-color=\"{}\"/><stop offset=\"0.5\" stop-color=\"{}\"/>\
         <stop offset=\"1\" stop-color=\"{}\"/></linearGradient></defs>\
         <g class=\"legend\"><text x=\"0\" y=\"16\">Mean expected gain per customer</text>\
         <rect x=\"0\" y=\"24\" width=\"200\" height=\"10\" fill=\"url(#gain-scale)\"/>\
         <text x=\"0\" y=\"50\">{}</text><text x=\"200\" y=\"50\" text-anchor=\"end\">{}</text>\
         <circle class=\"size-key\" cx=\"262\" cy=\"30\" r=\"{key_radius:.0}\"/>\
         <text x=\"306\" y=\"26\">Circle area: customers</text>\
         <text x=\"306\" y=\"42\">(largest: {})</text></g>",
        blue(0.0),
        blue(0.5),
        blue(1.0),
        range.map_or("-".into(), |(low, _)| decimal(low)),
        range.map_or("-".into(), |(_, high)| decimal(high)),
        count(biggest)
    );
}

/// One segment of the graph: its circle at `(cx, cy)` with radius `r`, its
/// label below from `label_y`, its id when the label differs, and its figures.
fn node(out: &mut String, s: &SegmentRow, (cx, cy, r): (f64, f64, f64), fill: &str, label_y: f64) {
    let _ = write!(
        out,
        "<g class=\"node\" data-segment=\"{}\"><title>{} ({}): {} customers, {} offers, \
         mean expected gain {}</title>\
         <circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{r:.1}\" fill=\"{fill}\"/>\
         <text class=\"node-label\" x=\"{cx:.1}\" y=\"{label_y:.1}\">{}</text>",
        escape(&s.segment),
        escape(&s.label),
        escape(&s.segment),
        count(s.customers),
        count(s.offers),
        decimal(s.mean_gain),
        escape(&s.label)
    );
    let mut next = label_y + 15.0;
    if s.label != s.segment {
        let _ = write!(
            out,
            "<text class=\"node-id\" x=\"{cx:.1}\" y=\"{next:.1}\">{}</text>",
            escape(&s.segment)
        );
        next += 15.0;
    }
    let _ = writeln!(
        out,
        "<text class=\"node-figures\" x=\"{cx:.1}\" y=\"{next:.1}\">{} · gain {}</text></g>",
        count(s.customers),
        decimal(s.mean_gain)
    );
}

/// The segment graph, one layer per depth: a circle per segment, its area
/// proportional to its customers and its colour to their mean expected gain,
/// and a line from each parent to each child.
pub(super) fn segment_graph(segments: &[SegmentRow]) -> String {
    const LAYER: f64 = 172.0;
    const TOP: f64 = 78.0;
    const R_MAX: f64 = 34.0;
    const R_MIN: f64 = 6.0;
    if segments.is_empty() {
        return String::new();
    }
    let index: HashMap<&str, usize> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| (s.segment.as_str(), i))
        .collect();
    let depth = segments.iter().map(|s| s.depth).max().unwrap_or(0) as usize;
    let (across, widest) = arrange(segments, &index, depth);
    let width = WIDTH.max(widest as f64 * 176.0);
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
    let radius = |c: u64| {
        if biggest == 0 {
            R_MIN
        } else {
            R_MIN + (R_MAX - R_MIN) * (c as f64 / biggest as f64).sqrt()
        }
    };
    let place = |i: usize| {
        let s = &segments[i];
        (
            across[i] * width,
            TOP + s.depth as f64 * LAYER + R_MAX,
            radius(s.customers),
        )
    };
    let height = TOP + (depth as f64 + 1.0) * LAYER - 20.0;
    let mut out = String::new();
    open(&mut out, width, height, "The segment graph");
    let range = (!gains.is_empty()).then_some((low, high));
    graph_legend(&mut out, range, biggest, R_MAX);
    out.push_str("<g class=\"edges\">\n");
    for (i, s) in segments.iter().enumerate() {
        let (cx, cy, r) = place(i);
        for parent in &s.parents {
            let Some(&p) = index.get(parent.as_str()) else {
                continue;
            };
            let (px, py, pr) = place(p);
            let (y0, y1) = (py + pr, cy - r);
            let bend = (y0 + y1) / 2.0;
            let _ = writeln!(
                out,
                "<path d=\"M{px:.1},{y0:.1} C{px:.1},{bend:.1} {cx:.1},{bend:.1} {cx:.1},{y1:.1}\"/>"
            );
        }
    }
    out.push_str("</g>\n");
    for (i, s) in segments.iter().enumerate() {
        let (cx, cy, r) = place(i);
        let fill = if s.customers > 0 {
            blue(shade(s.mean_gain))
        } else {
            "#e5e7eb".to_string()
        };
        let label_y = TOP + s.depth as f64 * LAYER + 2.0 * R_MAX + 18.0;
        node(&mut out, s, (cx, cy, r), &fill, label_y);
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(tick_step(15.0, 5.0), 5.0);
        assert_eq!(tick_step(9.0, 5.0), 2.0);
        assert_eq!(tick_step(0.4, 5.0), 0.1);
        assert_eq!(tick_step(0.0, 5.0), 1.0);
    }

    #[test]
    fn colours_run_light_to_dark() {
        assert_eq!(blue(0.0), "#deebf7");
        assert_eq!(blue(1.0), "#084594");
        assert_eq!(blue(f64::NAN), "#deebf7");
    }
}
