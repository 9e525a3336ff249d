//! The page's charts as inline SVG: bars, gain ranges and changes (the
//! segment graph has its own module, `graph`). Drawn by hand in a fixed
//! coordinate system (`viewBox`) that the browser scales to the page, so
//! there is no script and no chart library.
//! Text inherits the page's fonts, CJK fallbacks included.

use super::escape;
use crate::base::number::decimal;
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
}
