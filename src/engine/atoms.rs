//! Shared conditions: the distinct atomic tests of a segment's rules,
//! evaluated once per visit instead of once per rule that repeats them.
//!
//! In: the compiled conditions of one segment's rules. Out: an [`AtomTable`]
//! (the segment's distinct script-free tests, with the comparisons of one
//! attribute against constants grouped and sorted) and, per rule whose
//! condition is script-free, an [`AtomTest`]: the rule holds when all (or,
//! for a disjunction, any) of its atoms hold. When every rule and profile
//! of the segment is script-free, a [`RuleMatrix`] finds the rules that
//! hold with word-wide ORs instead of a branch per rule.
//!
//! Why it keeps the meaning: a script-free condition has no side effect and
//! cannot fail, so testing its parts eagerly and in another order gives the
//! same result; and a rule only ever asks whether its condition is `True`.
//! A conjunction is `True` exactly when every part is `True` and a
//! disjunction when one part is, so one bit per atom ("is `True`") is
//! enough: `False` and `Unknown` (a missing value) both leave it clear.
//! Conditions with a script keep the walk of [`Cond::eval_top`], in the
//! order written, as does every rule of a small segment, where the walk's
//! short cut costs less than testing every atom.

use crate::engine::program::{Cond, Context, Num, Tri};
use crate::lang::ir::ProfileId;
use crate::package::customer::Value;
use crate::package::schema::{Slot, Symbol};
use std::collections::HashMap;

/// Segments with fewer rules than this keep the walk of each condition: on
/// the bundled package (at most 12 rules on a segment) it measured faster.
pub(crate) const MIN_RULES: usize = 16;

/// How a rule's condition is read from the atom bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AtomTest {
    /// Its masks: `masks[start..start + len]` of the segment's table.
    start: u32,
    len: u32,
    /// A disjunction (any mask meets the bits) rather than a conjunction.
    any: bool,
}

/// One attribute compared with several constants by one operator.
#[derive(Debug)]
struct Thresholds {
    slot: Slot,
    op: Bound,
    /// Sorted so that the tests that hold are a prefix: ascending for lower
    /// bounds, descending for upper ones.
    constants: Box<[f64]>,
    /// Bit of the first constant; the others follow.
    base: u32,
}

/// Atoms on one attribute whose truth depends only on which value it holds
/// (`flag`, `not flag`, `present(x)`, `kind == "a"`, `kind in [...]`): the
/// value falls in one of a few cases, and each case's outcome for every atom
/// is worked out once, at compile time, by evaluating the atom itself.
#[derive(Debug)]
struct Cases {
    slot: Slot,
    /// The texts the atoms name; see [`Cases::case`].
    texts: Box<[Symbol]>,
    /// Per case, the atoms that are `True`, as bits from `base`.
    holding: Box<[u64]>,
    /// Bit of the first atom; the others follow.
    base: u32,
    /// Atoms in the group (at most 64).
    len: u32,
}

/// Cases before the texts: missing, no, yes, a number.
const TEXT_CASES: usize = 4;

impl Thresholds {
    /// How many constants `n` meets, counted without branches (a NaN meets
    /// no bound); the tests that hold are the first that many.
    #[inline]
    fn met(&self, n: f64) -> usize {
        let k = &self.constants;
        match self.op {
            Bound::AtLeast => k.iter().filter(|&&k| n >= k).count(),
            Bound::Above => k.iter().filter(|&&k| n > k).count(),
            Bound::AtMost => k.iter().filter(|&&k| n <= k).count(),
            Bound::Below => k.iter().filter(|&&k| n < k).count(),
        }
    }
}

impl Cases {
    /// The case of a value: missing, no, yes, a number, one of `texts`, or
    /// any other text (a text no atom names compares alike with all of them).
    #[inline]
    fn case(&self, value: Value) -> usize {
        match value {
            Value::Missing => 0,
            Value::Bool(false) => 1,
            Value::Bool(true) => 2,
            Value::Number(_) => 3,
            Value::Text(s) => {
                TEXT_CASES
                    + self
                        .texts
                        .iter()
                        .position(|&t| t == s)
                        .unwrap_or(self.texts.len())
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Bound {
    AtLeast,
    Above,
    AtMost,
    Below,
}

/// A segment's distinct atoms and its rules' masks over them.
#[derive(Debug)]
pub(crate) struct AtomTable {
    thresholds: Box<[Thresholds]>,
    cases: Box<[Cases]>,
    /// Every other atom, with its bit.
    others: Box<[(u32, Cond)]>,
    /// Per rule test, (word, mask) pairs.
    masks: Box<[(u32, u64)]>,
    /// Words of the bit set.
    pub words: usize,
    /// The rules by atom, when every rule of the segment can be read from
    /// the atoms.
    pub matrix: Option<RuleMatrix>,
}

/// Which rules each atom can block, as bit sets over the segment's rules:
/// a conjunction fails when one of its atoms is not `True`, so the rules
/// whose conditions may hold are those no failed atom blocks, found with a
/// few word-wide ORs instead of a branch per rule. Used when every rule's
/// condition and profile is script-free: then testing them in another order
/// has no effect to observe, and the rules are still visited in order.
#[derive(Debug)]
pub(crate) struct RuleMatrix {
    /// Words of a rule set.
    pub rule_words: usize,
    /// Rule sets, `rule_words` each: per threshold group, for each count of
    /// constants met (0..=k), the rules that the unmet ones block; per group
    /// of cases, for each case, the rules its atoms that are not `True`
    /// block; then per other atom, the rules it blocks when not `True`.
    sets: Box<[u64]>,
    /// Per threshold group and then per group of cases, its first set.
    group_sets: Box<[u32]>,
    /// First set of the other atoms.
    other_sets: u32,
    /// Disjunctions: (rule position, test), settled one by one.
    any: Box<[(u32, AtomTest)]>,
    /// Rules of the segment.
    rules: usize,
    /// At most 64 rules and no disjunction: see [`AtomTable::holding_direct`].
    pub direct: bool,
    /// Profiles the rules ask for, each once, evaluated before the rules
    /// so that every one is known (the funnel reads them).
    pub profiles: Box<[ProfileId]>,
}

impl AtomTable {
    /// Builds the table of a segment from its rules' conditions; returns the
    /// table and, per condition, its test (None where the walk stays).
    /// `profiles` are the rules' profiles, with whether each is script-free.
    pub(crate) fn build(
        conditions: &[&Cond],
        profiles: &[Option<(ProfileId, bool)>],
    ) -> Option<(AtomTable, Vec<Option<AtomTest>>)> {
        if conditions.len() < MIN_RULES {
            return None;
        }
        // Each condition's atoms, by index into `distinct`.
        let mut distinct: Vec<&Cond> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut parts: Vec<Option<(Vec<usize>, bool)>> = Vec::with_capacity(conditions.len());
        for &condition in conditions {
            if !pure(condition) {
                parts.push(None);
                continue;
            }
            let (atoms, any): (&[Cond], bool) = match condition {
                Cond::And(atoms) => (atoms, false),
                Cond::Or(atoms) => (atoms, true),
                Cond::Const(Tri::True) => (&[], false),
                leaf => (std::slice::from_ref(leaf), false),
            };
            let ids = atoms
                .iter()
                .map(|atom| {
                    // Debug text as the key: it tells 0.0 from -0.0, which
                    // `==` on the nodes does not.
                    *index.entry(format!("{atom:?}")).or_insert_with(|| {
                        distinct.push(atom);
                        distinct.len() - 1
                    })
                })
                .collect();
            parts.push(Some((ids, any)));
        }
        if parts.iter().all(Option::is_none) {
            return None;
        }

        // Bits: threshold groups first, each sorted, then the groups of
        // cases, then the other atoms.
        let mut groups: HashMap<(Slot, Bound), Vec<(f64, usize)>> = HashMap::new();
        let mut by_slot: HashMap<Slot, Vec<usize>> = HashMap::new();
        let mut others = Vec::new();
        for (id, atom) in distinct.iter().enumerate() {
            if let Some((slot, op, k)) = threshold(atom) {
                groups.entry((slot, op)).or_default().push((k, id));
            } else if let Some(slot) = settled_by_value(atom) {
                by_slot.entry(slot).or_default().push(id);
            } else {
                others.push(id);
            }
        }
        let mut keys: Vec<(Slot, Bound)> = groups.keys().copied().collect();
        keys.sort_by_key(|&(slot, op)| (slot, op as u8));
        let mut bit_of = vec![0u32; distinct.len()];
        let mut next = 0u32;
        let mut thresholds = Vec::with_capacity(keys.len());
        for key in keys {
            let mut members = groups.remove(&key).unwrap_or_default();
            match key.1 {
                Bound::AtLeast | Bound::Above => members.sort_by(|a, b| a.0.total_cmp(&b.0)),
                Bound::AtMost | Bound::Below => members.sort_by(|a, b| b.0.total_cmp(&a.0)),
            }
            let base = next;
            for &(_, id) in &members {
                bit_of[id] = next;
                next += 1;
            }
            thresholds.push(Thresholds {
                slot: key.0,
                op: key.1,
                constants: members.iter().map(|m| m.0).collect(),
                base,
            });
        }
        let mut slots: Vec<Slot> = by_slot.keys().copied().collect();
        slots.sort_unstable();
        let mut cases = Vec::new();
        // Per group of cases, its atoms.
        let mut case_atoms: Vec<Vec<usize>> = Vec::new();
        for slot in slots {
            for ids in by_slot[&slot].chunks(64) {
                let base = next;
                for &id in ids {
                    bit_of[id] = next;
                    next += 1;
                }
                let atoms: Vec<&Cond> = ids.iter().map(|&id| distinct[id]).collect();
                cases.push(Cases::build(slot, &atoms, base));
                case_atoms.push(ids.to_vec());
            }
        }
        let others: Box<[(u32, Cond)]> = others
            .into_iter()
            .map(|id| {
                bit_of[id] = next;
                next += 1;
                (bit_of[id], distinct[id].clone())
            })
            .collect();

        let mut masks: Vec<(u32, u64)> = Vec::new();
        let tests: Vec<Option<AtomTest>> = parts
            .iter()
            .map(|part| {
                let (ids, any) = part.as_ref()?;
                let start = masks.len();
                let mut bits: Vec<u32> = ids.iter().map(|&id| bit_of[id]).collect();
                bits.sort_unstable();
                for bit in bits {
                    let (word, mask) = (bit / 64, 1u64 << (bit % 64));
                    match masks[start..].iter_mut().find(|(w, _)| *w == word) {
                        Some((_, m)) => *m |= mask,
                        None => masks.push((word, mask)),
                    }
                }
                Some(AtomTest {
                    start: crate::base::index::dense_u32(start),
                    len: crate::base::index::dense_u32(masks.len() - start),
                    any: *any,
                })
            })
            .collect();
        let matrix = (parts.iter().all(Option::is_some)
            && profiles.iter().flatten().all(|&(_, pure)| pure))
        .then(|| {
            let layout = Layout {
                bit_of: &bit_of,
                atoms: next as usize,
                thresholds: &thresholds,
                cases: &cases,
                others_base: next as usize - others.len(),
            };
            RuleMatrix::new(&parts, &tests, &layout, profiles)
        });
        let table = AtomTable {
            thresholds: thresholds.into(),
            cases: cases.into(),
            others,
            masks: masks.into(),
            words: (next as usize).div_ceil(64),
            matrix,
        };
        Some((table, tests))
    }

    /// Threshold groups (see [`AtomTable::evaluate`]).
    pub(crate) fn groups(&self) -> usize {
        self.thresholds.len() + self.cases.len()
    }

    /// Sets in `bits` (at least [`AtomTable::words`] long) the atoms that are
    /// `True` for the customer, and clears the others; `held` (one per
    /// threshold group, then one per group of cases) receives how many of
    /// each threshold group's constants are met, then each group's case.
    #[inline]
    pub(crate) fn evaluate(&self, cx: &Context<'_>, bits: &mut [u64], held: &mut [u32]) {
        let bits = &mut bits[..self.words];
        bits.fill(0);
        held.fill(0);
        for (group, met) in self.thresholds.iter().zip(held.iter_mut()) {
            let Some(Value::Number(n)) = cx.values.get(group.slot as usize).copied() else {
                continue;
            };
            let held = group.met(n);
            set_range(bits, group.base as usize, held);
            *met = crate::base::index::dense_u32(held);
        }
        let cases = held.get_mut(self.thresholds.len()..).unwrap_or_default();
        for (group, case_of) in self.cases.iter().zip(cases) {
            let value = cx.values.get(group.slot as usize).copied();
            let case = group.case(value.unwrap_or(Value::Missing));
            let holding = group.holding.get(case).copied().unwrap_or(0);
            let (word, offset) = ((group.base / 64) as usize, group.base % 64);
            if let Some(w) = bits.get_mut(word) {
                *w |= holding << offset;
            }
            if offset > 0
                && let Some(w) = bits.get_mut(word + 1)
            {
                *w |= holding >> (64 - offset);
            }
            *case_of = crate::base::index::dense_u32(case);
        }
        for (bit, atom) in self.others.iter() {
            let holds = atom.eval_top(cx) == Tri::True;
            if let Some(word) = bits.get_mut((*bit / 64) as usize) {
                *word |= u64::from(holds) << (bit % 64);
            }
        }
    }

    /// The rules whose conditions are `True`, for a segment whose matrix is
    /// [`RuleMatrix::direct`] (at most 64 rules, none a disjunction, as on
    /// the flat package): each group's count or case picks its set of
    /// blocked rules at once, and each other atom that fails blocks its own,
    /// so the atom bits and counts of [`AtomTable::evaluate`], their clearing
    /// and [`RuleMatrix::holding`]'s second pass over them are not needed.
    /// The same sets are read for the same counts and cases, so the rules
    /// are those [`RuleMatrix::holding`] finds.
    #[inline]
    pub(crate) fn holding_direct(&self, matrix: &RuleMatrix, cx: &Context<'_>) -> u64 {
        let set = |at: usize| matrix.sets.get(at).copied().unwrap_or(0);
        let (threshold_sets, case_sets) = matrix
            .group_sets
            .split_at(self.thresholds.len().min(matrix.group_sets.len()));
        let mut blocked = 0u64;
        for (group, &start) in self.thresholds.iter().zip(threshold_sets) {
            let met = match cx.values.get(group.slot as usize) {
                Some(&Value::Number(n)) => group.met(n),
                _ => 0,
            };
            blocked |= set(start as usize + met);
        }
        for (group, &start) in self.cases.iter().zip(case_sets) {
            let value = cx.values.get(group.slot as usize).copied();
            blocked |= set(start as usize + group.case(value.unwrap_or(Value::Missing)));
        }
        for (i, (_, atom)) in self.others.iter().enumerate() {
            if atom.eval_top(cx) != Tri::True {
                blocked |= set(matrix.other_sets as usize + i);
            }
        }
        !blocked & matrix.valid_one_word()
    }

    /// Whether a rule's condition is `True`, from the bits of
    /// [`AtomTable::evaluate`].
    #[inline]
    pub(crate) fn holds(&self, test: AtomTest, bits: &[u64]) -> bool {
        let Some(masks) = self
            .masks
            .get(test.start as usize..(test.start + test.len) as usize)
        else {
            return false;
        };
        let word = |w: u32| bits.get(w as usize).copied().unwrap_or(0);
        if test.any {
            masks.iter().any(|&(w, m)| word(w) & m != 0)
        } else {
            masks.iter().all(|&(w, m)| word(w) & m == m)
        }
    }
}

impl Cases {
    /// The group of `atoms` (at most 64, all settled by the value of `slot`),
    /// whose bits start at `base`: each case's outcomes are those of the
    /// atoms themselves on a value of that case.
    fn build(slot: Slot, atoms: &[&Cond], base: u32) -> Cases {
        let mut texts: Vec<Symbol> = Vec::new();
        for atom in atoms {
            match atom {
                Cond::SlotTextEq { symbol, .. } => texts.push(*symbol),
                Cond::SlotTextIn { set, .. } => texts.extend(set.iter().copied()),
                _ => {}
            }
        }
        texts.sort_unstable();
        texts.dedup();
        // A text none of the atoms names, for the last case.
        let other = (0..=u32::MAX)
            .map(Symbol)
            .find(|s| texts.binary_search(s).is_err())
            .unwrap_or(Symbol(0));
        let mut values = vec![
            Value::Missing,
            Value::Bool(false),
            Value::Bool(true),
            Value::Number(0.0),
        ];
        values.extend(texts.iter().map(|&s| Value::Text(s)));
        values.push(Value::Text(other));
        let mut customer = vec![Value::Missing; slot as usize + 1];
        let (local_texts, symbols) = (Default::default(), Default::default());
        let holding = values
            .into_iter()
            .map(|value| {
                customer[slot as usize] = value;
                let cx = Context {
                    values: &customer,
                    local_texts: &local_texts,
                    symbols: &symbols,
                    derived: f64::NAN,
                    scripts: None,
                };
                atoms.iter().enumerate().fold(0u64, |mask, (i, atom)| {
                    mask | u64::from(atom.eval_fast(&cx) == Tri::True) << i
                })
            })
            .collect();
        Cases {
            slot,
            texts: texts.into(),
            holding,
            base,
            len: crate::base::index::dense_u32(atoms.len()),
        }
    }
}

/// Where each atom's bit is, for building the rule matrix.
struct Layout<'a> {
    /// Per atom id, its bit.
    bit_of: &'a [u32],
    /// Atoms (bits) in all.
    atoms: usize,
    thresholds: &'a [Thresholds],
    cases: &'a [Cases],
    /// Bit of the first other atom; the others follow.
    others_base: usize,
}

impl RuleMatrix {
    /// `parts`: per rule, its atoms (ids) and whether it is a disjunction.
    fn new(
        parts: &[Option<(Vec<usize>, bool)>],
        tests: &[Option<AtomTest>],
        layout: &Layout<'_>,
        profiles: &[Option<(ProfileId, bool)>],
    ) -> RuleMatrix {
        let rules = parts.len();
        let rule_words = rules.div_ceil(64);
        // The rules each atom (by bit) is in (conjunctions only).
        let mut blocks = vec![0u64; layout.atoms.max(1) * rule_words];
        let mut any = Vec::new();
        for (rule, part) in parts.iter().enumerate() {
            let Some((ids, is_any)) = part else { continue };
            if *is_any {
                if let Some(Some(test)) = tests.get(rule) {
                    any.push((crate::base::index::dense_u32(rule), *test));
                }
                continue;
            }
            for &id in ids {
                let bit = layout.bit_of[id] as usize;
                blocks[bit * rule_words + rule / 64] |= 1u64 << (rule % 64);
            }
        }
        let block = |bit: usize| &blocks[bit * rule_words..(bit + 1) * rule_words];
        let mut sets = Vec::new();
        let mut group_sets = Vec::with_capacity(layout.thresholds.len() + layout.cases.len());
        for group in layout.thresholds {
            // For `met` constants met, the rest block: suffix unions.
            group_sets.push(crate::base::index::dense_u32(
                sets.len() / rule_words.max(1),
            ));
            let first = group.base as usize;
            let mut suffix = vec![vec![0u64; rule_words]; group.constants.len() + 1];
            for j in (0..group.constants.len()).rev() {
                let next: Vec<u64> = suffix[j + 1]
                    .iter()
                    .zip(block(first + j))
                    .map(|(a, b)| a | b)
                    .collect();
                suffix[j] = next;
            }
            sets.extend(suffix.into_iter().flatten());
        }
        for group in layout.cases {
            group_sets.push(crate::base::index::dense_u32(
                sets.len() / rule_words.max(1),
            ));
            for &holding in group.holding.iter() {
                let mut set = vec![0u64; rule_words];
                for i in (0..group.len as usize).filter(|i| holding & (1u64 << i) == 0) {
                    for (s, b) in set.iter_mut().zip(block(group.base as usize + i)) {
                        *s |= b;
                    }
                }
                sets.extend(set);
            }
        }
        let other_sets = crate::base::index::dense_u32(sets.len() / rule_words.max(1));
        sets.extend_from_slice(&blocks[layout.others_base * rule_words..layout.atoms * rule_words]);
        let mut seen = Vec::new();
        for &(profile, _) in profiles.iter().flatten() {
            if !seen.contains(&profile) {
                seen.push(profile);
            }
        }
        RuleMatrix {
            rule_words,
            sets: sets.into(),
            group_sets: group_sets.into(),
            other_sets,
            direct: rule_words == 1 && any.is_empty(),
            any: any.into(),
            rules,
            profiles: seen.into(),
        }
    }

    /// Sets in `out` (at least `rule_words` long) the rules whose conditions
    /// are `True`, from the atoms' bits and counts of [`AtomTable::evaluate`].
    #[inline]
    pub(crate) fn holding(&self, table: &AtomTable, bits: &[u64], held: &[u32], out: &mut [u64]) {
        let words = self.rule_words;
        if words == 1
            && let Some(out) = out.first_mut()
        {
            *out = self.holding_one_word(table, bits, held);
            return;
        }
        let out = &mut out[..words];
        out.fill(0);
        let mut block = |set: usize| {
            if let Some(set) = self.sets.get(set * words..(set + 1) * words) {
                for (o, s) in out.iter_mut().zip(set) {
                    *o |= s;
                }
            }
        };
        for (&start, &met) in self.group_sets.iter().zip(held) {
            block(start as usize + met as usize);
        }
        for (i, (bit, _)) in table.others.iter().enumerate() {
            let word = bits.get((*bit / 64) as usize).copied().unwrap_or(0);
            if word & (1u64 << (bit % 64)) == 0 {
                block(self.other_sets as usize + i);
            }
        }
        // Blocked to holding; no bits past the last rule.
        for (i, o) in out.iter_mut().enumerate() {
            let valid = if (i + 1) * 64 <= self.rules {
                u64::MAX
            } else {
                (1u64 << (self.rules % 64)) - 1
            };
            *o = !*o & valid;
        }
        for &(rule, test) in self.any.iter() {
            if !table.holds(test, bits) {
                out[rule as usize / 64] &= !(1u64 << (rule % 64));
            }
        }
    }
}

impl RuleMatrix {
    /// The bits of a one-word rule set that name rules: none past the last.
    #[inline]
    fn valid_one_word(&self) -> u64 {
        if self.rules >= 64 {
            u64::MAX
        } else {
            (1u64 << self.rules) - 1
        }
    }

    /// [`RuleMatrix::holding`] for a segment of at most 64 rules, the common
    /// case (the flat package's 40 rules): each group's set is one word,
    /// read and ORed into a register, where the general loop paid a slice
    /// range check and an inner loop per group (about 35 instructions a
    /// group against 6). Returns the rules that hold.
    #[inline]
    fn holding_one_word(&self, table: &AtomTable, bits: &[u64], held: &[u32]) -> u64 {
        let set = |at: usize| self.sets.get(at).copied().unwrap_or(0);
        let mut blocked = 0u64;
        for (&start, &met) in self.group_sets.iter().zip(held) {
            blocked |= set(start as usize + met as usize);
        }
        for (i, (bit, _)) in table.others.iter().enumerate() {
            let word = bits.get((*bit / 64) as usize).copied().unwrap_or(0);
            if word & (1u64 << (bit % 64)) == 0 {
                blocked |= set(self.other_sets as usize + i);
            }
        }
        let mut holding = !blocked & self.valid_one_word();
        for &(rule, test) in self.any.iter() {
            if !table.holds(test, bits) {
                holding &= !(1u64 << (rule % 64));
            }
        }
        holding
    }
}

/// Sets `len` bits from `start`.
#[inline]
fn set_range(bits: &mut [u64], mut start: usize, mut len: usize) {
    while len > 0 {
        let (word, offset) = (start / 64, start % 64);
        let take = len.min(64 - offset);
        let mask = if take == 64 {
            u64::MAX
        } else {
            ((1u64 << take) - 1) << offset
        };
        if let Some(w) = bits.get_mut(word) {
            *w |= mask;
        }
        start += take;
        len -= take;
    }
}

/// `attribute <bound> constant` with a constant that is not NaN.
fn threshold(atom: &Cond) -> Option<(Slot, Bound, f64)> {
    match *atom {
        Cond::SlotAtLeast(slot, k) => Some((slot, Bound::AtLeast, k)),
        Cond::SlotAbove(slot, k) => Some((slot, Bound::Above, k)),
        Cond::SlotAtMost(slot, k) => Some((slot, Bound::AtMost, k)),
        Cond::SlotBelow(slot, k) => Some((slot, Bound::Below, k)),
        _ => None,
    }
    .filter(|(_, _, k)| !k.is_nan())
}

/// The attribute of an atom whose truth depends only on which value that
/// attribute holds, not on how large a number it is (see [`Cases`]).
fn settled_by_value(atom: &Cond) -> Option<Slot> {
    match *atom {
        Cond::Slot(slot)
        | Cond::SlotFalse(slot)
        | Cond::SlotPresent(slot)
        | Cond::SlotTextEq { slot, .. }
        | Cond::SlotTextIn { slot, .. } => Some(slot),
        _ => None,
    }
}

/// Whether a condition runs no script: then it has no side effect and
/// cannot fail, and may be tested early, once, or not at all.
pub(crate) fn pure(cond: &Cond) -> bool {
    match cond {
        Cond::Script(_) => false,
        Cond::Const(_)
        | Cond::Slot(_)
        | Cond::SlotCmp(..)
        | Cond::SlotAtLeast(..)
        | Cond::SlotAbove(..)
        | Cond::SlotAtMost(..)
        | Cond::SlotBelow(..)
        | Cond::SlotFalse(_)
        | Cond::SlotPresent(_)
        | Cond::SlotRemCmp { .. }
        | Cond::SlotOrCmp { .. }
        | Cond::SlotTextEq { .. }
        | Cond::SlotTextIn { .. }
        | Cond::TextEq { .. }
        | Cond::TextIn { .. }
        | Cond::TextTest(..)
        | Cond::PresentText(_) => true,
        Cond::Not(inner) | Cond::PresentBool(inner) => pure(inner),
        Cond::And(parts) | Cond::Or(parts) => parts.iter().all(pure),
        Cond::BoolEq { lhs, rhs, .. } | Cond::ValueOr(lhs, rhs) => pure(lhs) && pure(rhs),
        Cond::NumCmpConst(_, n, _) | Cond::PresentNum(n) => pure_num(n),
        Cond::NumCmp(_, a, b) => pure_num(a) && pure_num(b),
        Cond::SlotCmpNum(_, _, n) => pure_num(n),
        Cond::NumIn { value_and_set, .. } => pure_num(&value_and_set.0),
    }
}

fn pure_num(num: &Num) -> bool {
    match num {
        Num::Script(_) => false,
        Num::Const(_) | Num::Slot(_) | Num::SlotOr(..) | Num::Derived | Num::Len(_) => true,
        Num::Neg(a) | Num::Abs(a) | Num::Round(a) => pure_num(a),
        Num::Affine { x, .. } => pure_num(x),
        Num::Arith(_, a, b) | Num::ValueOr(a, b) => pure_num(a) && pure_num(b),
        Num::Min(parts) | Num::Max(parts) => parts.iter().all(pure_num),
        Num::Clamp(parts) => parts.iter().all(pure_num),
    }
}

#[cfg(test)]
mod tests;
