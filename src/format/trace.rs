//! An explanation as text for people: segments, rules, then the offers.

use crate::analysis::trace::{Explanation, Failure, RuleStatus, RuleTrace, SegmentStatus};
use crate::base::number::{count, decimal};
use std::fmt::Write as _;

impl Explanation {
    /// The explanation as readable text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let who = self.customer_id.as_deref().unwrap_or("this customer");
        let _ = writeln!(out, "Customer {who}");
        self.not_given_text(&mut out);
        self.segments_text(&mut out);
        self.rules_text(&mut out);
        self.offers_text(&mut out);
        if let Some(error) = &self.error {
            let _ = writeln!(out, "\nError: {error}");
        }
        out
    }

    /// The required values the customer was given without, so that an
    /// `unknown` below is not a surprise.
    fn not_given_text(&self, out: &mut String) {
        if self.not_given.is_empty() {
            return;
        }
        let names: Vec<String> = self
            .not_given
            .iter()
            .map(|n| {
                if n.column == n.attribute {
                    n.column.clone()
                } else {
                    format!("{} ({})", n.column, n.attribute)
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "\nNot given (required in a customer file, missing here): {}",
            names.join(", ")
        );
        out.push_str("  Tests that read them are unknown; add them to see the full answer.\n");
    }

    /// Each segment, indented under its parent: in, or why not.
    fn segments_text(&self, out: &mut String) {
        out.push_str("\nSegments\n");
        for s in &self.segments {
            let indent = "  ".repeat(s.depth as usize + 1);
            let name = if s.label != s.segment {
                format!("{} ({})", s.segment, s.label)
            } else {
                s.segment.clone()
            };
            match &s.status {
                SegmentStatus::Member => {
                    let _ = writeln!(out, "{indent}in      {name}");
                }
                SegmentStatus::ParentNotMatched { missing } => {
                    let _ = writeln!(out, "{indent}not in  {name}: not in {}", missing.join(", "));
                }
                SegmentStatus::ConditionFalse | SegmentStatus::ConditionUnknown => {
                    let _ = writeln!(
                        out,
                        "{indent}not in  {name}: {}",
                        failure(s.failed.as_ref())
                    );
                }
            }
        }
    }

    /// One line per rule: what it offers and what became of it.
    fn rules_text(&self, out: &mut String) {
        out.push_str("\nRules\n");
        for r in &self.rules {
            let what = format!("{} {}", r.action, r.service);
            let row = r.in_sheet.then_some(r.location.as_str());
            let name = crate::format::rule_with_row(&r.rule, row);
            let _ = writeln!(out, "  {name:<32} {what:<36} {}", rule_status(r));
            if let Some(detail) = rule_detail(r) {
                let _ = writeln!(out, "      {detail}");
            }
        }
    }

    /// The offers, ranked, each with the terms its gain was derived from.
    fn offers_text(&self, out: &mut String) {
        out.push_str("\nOffers\n");
        if self.offers.is_empty() {
            out.push_str("  none\n");
        }
        for o in &self.offers {
            let _ = writeln!(
                out,
                "  {}. {} {}  +{}  (rule {}, segment {})",
                o.rank,
                o.service,
                o.name,
                decimal(o.gain),
                o.rule,
                o.segment
            );
            if let Some(reason) = &o.reason {
                let _ = writeln!(out, "     because {reason}");
            }
            for t in &o.derivation {
                let _ = writeln!(
                    out,
                    "     {}: weight {:.4} x preference {:.2} x gap {:.2} x min(effect {}, headroom {}) = {:.4}",
                    t.dimension,
                    t.weight,
                    t.preference_factor,
                    t.gap_factor,
                    t.effect,
                    t.headroom,
                    t.points
                );
            }
            if let Some(before) = o.before_stacking {
                let _ = writeln!(
                    out,
                    "     {} before diminishing returns and the headroom cap",
                    decimal(before)
                );
            }
        }
        self.withdrawn_text(out);
    }
}

impl Explanation {
    /// What became of each limited service the customer was a candidate
    /// for, and what took the place of those it lost.
    fn withdrawn_text(&self, out: &mut String) {
        if self.capacity.is_empty() {
            return;
        }
        out.push_str("\nCapacity\n");
        for f in &self.capacity {
            let marginal = f.marginal.map_or("none".to_string(), decimal);
            let cutoff = f
                .cutoff
                .map(|c| format!(", the last who got it: {}", decimal(c)))
                .unwrap_or_default();
            let fate = if f.kept {
                "kept"
            } else if f.marginal.is_some() || !f.replaced_by.is_empty() {
                "lost to capacity"
            } else {
                "not given"
            };
            let _ = write!(
                out,
                "  {}: {fate} (marginal gain {marginal}{cutoff})",
                f.service
            );
            if !f.kept {
                if f.replaced_by.is_empty() {
                    out.push_str("; nothing took its place");
                } else {
                    let _ = write!(out, "; in its place: {}", f.replaced_by.join(", "));
                }
            }
            out.push('\n');
        }
    }
}

/// What became of a rule, in words: why it did not fire, or what its offer
/// met in arbitration.
fn rule_status(r: &RuleTrace) -> String {
    match &r.status {
        RuleStatus::SegmentNotMatched => {
            format!("not for this customer: not in segment {}", r.segment)
        }
        RuleStatus::ProfileNotMatched { profile } => {
            format!(
                "profile {profile} does not hold: {}",
                failure(r.failed.as_ref())
            )
        }
        RuleStatus::ConditionFalse | RuleStatus::ConditionUnknown => {
            match r.failed.as_ref().and_then(|f| f.earlier_row.as_ref()) {
                Some(row) => format!("not reached: row {row} of its table matched first"),
                None => format!("condition does not hold: {}", failure(r.failed.as_ref())),
            }
        }
        RuleStatus::Offered { rank } => {
            format!("OFFERED, rank {rank}, gain {}", gain(r.gain))
        }
        RuleStatus::CutByMaxOffers { max_offers, .. } => {
            format!(
                "fired (gain {}), but cut by max_offers ({max_offers}): better offers took the slots",
                gain(r.gain)
            )
        }
        RuleStatus::CutByBudget => {
            format!("fired (gain {}), but over the budget", gain(r.gain))
        }
        RuleStatus::CutByCapacity { .. } => format!(
            "fired (gain {}), but {}'s capacity went to customers it adds more gain to",
            gain(r.gain),
            r.service
        ),
        RuleStatus::ChannelMismatch => format!(
            "fired (gain {}), but {} does not fit the customer's channel",
            gain(r.gain),
            r.service
        ),
        RuleStatus::ExclusiveWith { service } => {
            format!(
                "fired (gain {}), but excluded by {service} (same group)",
                gain(r.gain)
            )
        }
        RuleStatus::LostTo { rule, reason } => {
            format!("fired, but lost to {rule} ({reason})")
        }
        RuleStatus::SuppressedBy { rule } => {
            format!("fired, but {rule} suppresses {}", r.service)
        }
        RuleStatus::Suppresses => format!("SUPPRESSES {}", r.service),
        RuleStatus::GainMissing => format!(
            "fired and won, but its gain needs a missing value: {}",
            failure(r.failed.as_ref())
        ),
        RuleStatus::GainNotFinite => {
            "fired and won, but its gain is not a finite number".to_string()
        }
    }
}

/// The second line of a rule cut for room: which offers took the slots,
/// or how the capacity was shared out.
fn rule_detail(r: &RuleTrace) -> Option<String> {
    match &r.status {
        RuleStatus::CutByMaxOffers { taken_by, .. } if !taken_by.is_empty() => {
            let holders: Vec<String> = taken_by
                .iter()
                .map(|h| format!("{} {}", h.service, decimal(h.gain)))
                .collect();
            Some(format!("slots taken by: {}", holders.join(", ")))
        }
        RuleStatus::CutByCapacity {
            capacity,
            wanted,
            cutoff_gain,
            marginal,
        } => {
            let mut text = match (capacity, wanted) {
                (Some(c), Some(w)) => format!(
                    "capacity {}, wanted by {} customers: the {} it adds most gain to got it",
                    count(*c),
                    count(*w),
                    count(*c)
                ),
                (Some(c), None) => format!(
                    "capacity {}: it went to the customers it adds most gain to",
                    count(*c)
                ),
                _ => "it went to the customers it adds most gain to".to_string(),
            };
            if let Some(cutoff) = cutoff_gain {
                let _ = write!(
                    text,
                    "; the last got it at marginal gain {}, this customer's is {}",
                    decimal(*cutoff),
                    gain(*marginal)
                );
                if *marginal == Some(*cutoff) {
                    text.push_str(" (a tie: earlier rows in the file go first)");
                }
            }
            Some(text)
        }
        _ => None,
    }
}

fn failure(failed: Option<&Failure>) -> String {
    let Some(f) = failed else {
        return "false".to_string();
    };

    let values: Vec<String> = f
        .values
        .iter()
        .map(|v| format!("{} = {}", v.name, v.value))
        .collect();
    let seen = if values.is_empty() {
        String::new()
    } else {
        format!(" with {}", values.join(", "))
    };
    format!("`{}` is {}{seen}", f.condition, f.result)
}

fn gain(g: Option<f64>) -> String {
    g.map_or("-".to_string(), decimal)
}
