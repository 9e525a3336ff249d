//! The reference evaluator: the semantics written as plainly as possible,
//! straight over the checked package (typed expressions, no compilation, no
//! bitsets, every segment and rule looked at). It is slow on purpose; the fast
//! evaluator is tested against it on random packages and customers.

use crate::compile::Engine;
use crate::customer::{Customer, Value};
use crate::eval::{EvalError, EvalErrorKind, Offer};
use crate::ir::{Function, Gain, TypedExpr, TypedKind};
use crate::schema::Symbol;
use crate::syntax::ast::{ActionKind, BinaryOp, UnaryOp};

/// A value during reference evaluation; `None` stands for missing/unknown.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Num(f64),
    Bool(bool),
    Text(Symbol),
    List(Vec<V>),
}

struct Reference<'a> {
    engine: &'a Engine,
    customer: &'a Customer,
}

impl Reference<'_> {
    fn text(&self, symbol: Symbol) -> &str {
        self.customer.text(&self.engine.schema, symbol)
    }

    fn eval(&self, expr: &TypedExpr) -> Option<V> {
        match &expr.kind {
            TypedKind::Number(n) => Some(V::Num(*n)),
            TypedKind::Bool(b) => Some(V::Bool(*b)),
            TypedKind::Text(s) => Some(V::Text(*s)),
            TypedKind::List(items) => {
                Some(V::List(items.iter().filter_map(|i| self.eval(i)).collect()))
            }
            TypedKind::Slot(slot) | TypedKind::Uses(slot) => match self.customer.get(*slot) {
                Value::Missing => None,
                Value::Number(n) => Some(V::Num(n)),
                Value::Bool(b) => Some(V::Bool(b)),
                Value::Text(s) => Some(V::Text(s)),
            },
            TypedKind::Unary(UnaryOp::Not, e) => match self.eval(e)? {
                V::Bool(b) => Some(V::Bool(!b)),
                _ => None,
            },
            TypedKind::Unary(UnaryOp::Neg, e) => match self.eval(e)? {
                V::Num(n) => Some(V::Num(-n)),
                _ => None,
            },
            TypedKind::Binary(BinaryOp::And, a, b) => {
                let (a, b) = (self.eval(a), self.eval(b));
                match (a, b) {
                    (Some(V::Bool(false)), _) | (_, Some(V::Bool(false))) => Some(V::Bool(false)),
                    (Some(V::Bool(true)), Some(V::Bool(true))) => Some(V::Bool(true)),
                    _ => None,
                }
            }
            TypedKind::Binary(BinaryOp::Or, a, b) => {
                let (a, b) = (self.eval(a), self.eval(b));
                match (a, b) {
                    (Some(V::Bool(true)), _) | (_, Some(V::Bool(true))) => Some(V::Bool(true)),
                    (Some(V::Bool(false)), Some(V::Bool(false))) => Some(V::Bool(false)),
                    _ => None,
                }
            }
            TypedKind::Binary(op, a, b) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                self.binary(*op, a, b)
            }
            TypedKind::Call(f, args) => self.call(*f, args),
        }
    }

    fn binary(&self, op: BinaryOp, a: V, b: V) -> Option<V> {
        Some(match (op, a, b) {
            (BinaryOp::Add, V::Num(a), V::Num(b)) => V::Num(a + b),
            (BinaryOp::Sub, V::Num(a), V::Num(b)) => V::Num(a - b),
            (BinaryOp::Mul, V::Num(a), V::Num(b)) => V::Num(a * b),
            (BinaryOp::Div, V::Num(a), V::Num(b)) => V::Num(a / b),
            (BinaryOp::Rem, V::Num(a), V::Num(b)) => V::Num(a % b),
            (BinaryOp::In | BinaryOp::NotIn, V::Num(x), _) if x.is_nan() => return None,
            (BinaryOp::In, x, V::List(items)) => V::Bool(items.contains(&x)),
            (BinaryOp::NotIn, x, V::List(items)) => V::Bool(!items.contains(&x)),
            (op, V::Num(a), V::Num(b)) => {
                if a.is_nan() || b.is_nan() {
                    return None;
                }
                V::Bool(match op {
                    BinaryOp::Eq => a == b,
                    BinaryOp::Ne => a != b,
                    BinaryOp::Lt => a < b,
                    BinaryOp::Le => a <= b,
                    BinaryOp::Gt => a > b,
                    _ => a >= b,
                })
            }
            (BinaryOp::Eq, a, b) => V::Bool(a == b),
            (BinaryOp::Ne, a, b) => V::Bool(a != b),
            _ => return None,
        })
    }

    fn call(&self, f: Function, args: &[TypedExpr]) -> Option<V> {
        let num = |e: &TypedExpr| match self.eval(e) {
            Some(V::Num(n)) => Some(n),
            _ => None,
        };
        let text = |e: &TypedExpr| match self.eval(e) {
            Some(V::Text(s)) => Some(self.text(s).to_string()),
            _ => None,
        };
        Some(match f {
            Function::Min | Function::Max => {
                let values: Option<Vec<f64>> = args.iter().map(num).collect();
                let values = values?;
                let first = *values.first()?;
                V::Num(values.iter().fold(first, |acc, &v| {
                    if f == Function::Min {
                        acc.min(v)
                    } else {
                        acc.max(v)
                    }
                }))
            }
            Function::Clamp => {
                let (x, lo, hi) = (num(args.first()?)?, num(args.get(1)?)?, num(args.get(2)?)?);
                V::Num(x.max(lo).min(hi))
            }
            Function::Abs => V::Num(num(args.first()?)?.abs()),
            Function::Round => V::Num(num(args.first()?)?.round()),
            Function::Present => V::Bool(self.eval(args.first()?).is_some()),
            Function::ValueOr => {
                return self
                    .eval(args.first()?)
                    .or_else(|| args.get(1).and_then(|a| self.eval(a)));
            }
            Function::Len => V::Num(text(args.first()?)?.chars().count() as f64),
            Function::StartsWith => V::Bool(text(args.first()?)?.starts_with(&text(args.get(1)?)?)),
            Function::EndsWith => V::Bool(text(args.first()?)?.ends_with(&text(args.get(1)?)?)),
            Function::Contains => V::Bool(text(args.first()?)?.contains(&text(args.get(1)?)?)),
        })
    }

    fn holds(&self, expr: Option<&TypedExpr>) -> bool {
        match expr {
            None => true,
            Some(e) => self.eval(e) == Some(V::Bool(true)),
        }
    }
}

impl Engine {
    /// Evaluates a customer with the reference evaluator: slow and plain, for
    /// testing the fast evaluator against. Not for production use.
    #[doc(hidden)]
    pub fn evaluate_reference(&self, customer: &Customer) -> Result<Vec<Offer>, EvalError> {
        let r = Reference {
            engine: self,
            customer,
        };
        let package = &self.checked;
        let mut member = vec![false; package.segments.len()];
        for &id in &package.graph.order {
            let segment = &package.segments[id as usize];
            member[id as usize] = segment.parents.iter().all(|&p| member[p as usize])
                && r.holds(segment.when.as_ref());
        }
        // For each service: the best applicable offer rule, and whether it is suppressed.
        let mut best: Vec<Option<usize>> = vec![None; self.catalog.services.len()];
        let mut suppressed = vec![false; self.catalog.services.len()];
        for (i, rule) in package.rules.iter().enumerate() {
            let applies = member[rule.segment as usize]
                && rule
                    .profile
                    .is_none_or(|p| r.holds(package.profiles[p as usize].when.as_ref()))
                && r.holds(rule.when.as_ref());
            if !applies {
                continue;
            }
            let service = rule.service as usize;
            match rule.action {
                ActionKind::Suppress => suppressed[service] = true,
                ActionKind::Offer => {
                    let key = |j: usize| {
                        let rule = &package.rules[j];
                        (
                            package.graph.depth[rule.segment as usize],
                            rule.priority,
                            std::cmp::Reverse(j),
                        )
                    };
                    if best[service].is_none_or(|b| key(i) > key(b)) {
                        best[service] = Some(i);
                    }
                }
            }
        }
        let mut offers = Vec::new();
        for (service, winner) in best.iter().enumerate() {
            let Some(i) = *winner else { continue };
            if suppressed[service] {
                continue;
            }
            let rule = &package.rules[i];
            let gain = match &rule.gain {
                Some(Gain::Default(g)) => Some(*g),
                Some(Gain::Expr(e)) => match r.eval(e) {
                    Some(V::Num(n)) => Some(n),
                    _ => None,
                },
                None => None,
            };
            let Some(gain) = gain else { continue };
            if !gain.is_finite() {
                return Err(EvalError {
                    rule: i as u32,
                    rule_name: rule.name.clone(),
                    kind: EvalErrorKind::NonFiniteGain(gain),
                });
            }
            offers.push((
                Offer {
                    service: service as u32,
                    gain,
                    rule: i as u32,
                    segment: rule.segment,
                },
                rule.priority,
            ));
        }
        offers.sort_by(|(a, pa), (b, pb)| {
            b.gain.total_cmp(&a.gain).then(pb.cmp(pa)).then_with(|| {
                self.catalog.services[a.service as usize]
                    .id
                    .cmp(&self.catalog.services[b.service as usize].id)
            })
        });
        offers.truncate(self.catalog.max_offers);
        Ok(offers.into_iter().map(|(o, _)| o).collect())
    }
}

#[cfg(test)]
mod tests {
    //! Differential test: the fast evaluator against the reference one, on
    //! random well-typed packages and random customers (seeded, reproducible).
    use super::*;

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            // splitmix64
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len() as u64) as usize]
        }
    }

    const CATALOG: &str = r#"
package: random
max_offers: 3
services:
  - { id: s0, name: 零, category: convenience, stage: pre_sale, channel: online, participation: passive, default_gain: 1, in_use: x }
  - { id: s1, name: 一, category: convenience, stage: pre_sale, channel: online, participation: passive, default_gain: 2 }
  - { id: s2, name: 二, category: convenience, stage: pre_sale, channel: online, participation: passive }
  - { id: s3, name: 三, category: convenience, stage: pre_sale, channel: online, participation: passive }
  - { id: s4, name: 四, category: convenience, stage: pre_sale, channel: online, participation: passive, default_gain: 2 }
customer:
  attributes:
    - { name: a, type: number }
    - { name: b, type: number }
    - { name: c, type: number }
    - { name: tier, type: category, values: [gold, silver, bronze] }
    - { name: x, type: bool }
    - { name: y, type: bool }
    - { name: city, type: text }
  preferences:
    - { name: p }
    - { name: q }
"#;

    fn number(rng: &mut Rng, depth: u32) -> String {
        let leaf = depth == 0 || rng.chance(35);
        if leaf {
            return match rng.below(5) {
                0 => format!("{}", rng.below(5)),
                1 => format!("{}.5", rng.below(3)),
                2 => rng.pick(&["pref.p", "pref.q"]).to_string(),
                _ => rng.pick(&["a", "b", "c"]).to_string(),
            };
        }
        let d = depth - 1;
        match rng.below(12) {
            0 => format!("({} + {})", number(rng, d), number(rng, d)),
            1 => format!("({} - {})", number(rng, d), number(rng, d)),
            2 => format!("({} * {})", number(rng, d), number(rng, d)),
            3 => format!(
                "({} / {})",
                number(rng, d),
                rng.pick(&["a", "b", "c", "pref.p"])
            ),
            4 => format!("({} % {})", number(rng, d), rng.pick(&["a", "b", "2"])),
            5 => format!("min({}, {})", number(rng, d), number(rng, d)),
            6 => format!(
                "max({}, {}, {})",
                number(rng, d),
                number(rng, d),
                number(rng, d)
            ),
            7 => format!("clamp({}, 0, 3)", number(rng, d)),
            8 => format!("abs({})", number(rng, d)),
            9 => format!("value_or({}, {})", number(rng, d), number(rng, d)),
            10 => "len(city)".to_string(),
            _ => format!("-{}", number(rng, d)),
        }
    }

    fn condition(rng: &mut Rng, depth: u32) -> String {
        let leaf = depth == 0 || rng.chance(30);
        if leaf {
            return match rng.below(9) {
                0 => rng.pick(&["true", "false"]).to_string(),
                1 => rng.pick(&["x", "y", "not x"]).to_string(),
                2 => format!("tier == \"{}\"", rng.pick(&["gold", "silver", "bronze"])),
                3 => format!(
                    "tier {} [\"gold\", \"silver\"]",
                    rng.pick(&["in", "not in"])
                ),
                4 => format!("city == \"{}\"", rng.pick(&["上海", "北京", "x"])),
                5 => format!(
                    "present({})",
                    rng.pick(&["a", "tier", "x", "city", "pref.p"])
                ),
                6 => format!("starts_with(city, \"{}\")", rng.pick(&["上", "北", ""])),
                7 => "uses(s0)".to_string(),
                _ => format!("{} in [0, 1, 2]", rng.pick(&["a", "b"])),
            };
        }
        let d = depth - 1;
        match rng.below(6) {
            0 => format!("({} and {})", condition(rng, d), condition(rng, d)),
            1 => format!("({} or {})", condition(rng, d), condition(rng, d)),
            2 => format!("not {}", condition(rng, d)),
            3 => format!(
                "value_or({}, {})",
                condition(rng, d),
                rng.pick(&["true", "false"])
            ),
            4 => format!("x == ({})", condition(rng, d)),
            _ => format!(
                "{} {} {}",
                number(rng, d),
                rng.pick(&["==", "!=", "<", "<=", ">", ">="]),
                number(rng, d)
            ),
        }
    }

    fn package(rng: &mut Rng) -> String {
        let mut text = String::new();
        let segments = 1 + rng.below(10) as usize;
        for i in 0..segments {
            let mut parents: Vec<String> = Vec::new();
            if i > 0 {
                for _ in 0..1 + rng.below(2) {
                    let p = format!("g{}", rng.below(i as u64));
                    if !parents.contains(&p) {
                        parents.push(p);
                    }
                }
            }
            let under = if parents.is_empty() {
                String::new()
            } else {
                format!(" under {}", parents.join(", "))
            };
            let when = if rng.chance(80) {
                format!("when {}", condition(rng, 2))
            } else {
                String::new()
            };
            text.push_str(&format!("segment g{i}{under} {{ {when} }}\n"));
        }
        let profiles = rng.below(3) as usize;
        for i in 0..profiles {
            text.push_str(&format!(
                "profile f{i} {{ when pref.p >= 0.{} }}\n",
                rng.below(10)
            ));
        }
        for i in 0..1 + rng.below(20) {
            let segment = rng.below(segments as u64);
            let profile = if profiles > 0 && rng.chance(25) {
                format!(", profile f{}", rng.below(profiles as u64))
            } else {
                String::new()
            };
            let service = rng.below(5);
            let when = if rng.chance(70) {
                format!("when {}", condition(rng, 3))
            } else {
                String::new()
            };
            let action = if rng.chance(15) {
                format!("suppress s{service}")
            } else {
                let gain = if service == 2 || service == 3 || rng.chance(70) {
                    format!("gain {}", number(rng, 3))
                } else {
                    String::new()
                };
                format!("offer s{service} {gain}")
            };
            let priority = rng.below(5) as i64 - 2;
            text.push_str(&format!(
                "rule r{i} for g{segment}{profile} {{ {when} {action} priority {priority} }}\n"
            ));
        }
        text
    }

    fn customer(rng: &mut Rng, engine: &Engine) -> Customer {
        let mut object = serde_json::Map::new();
        let mut put = |rng: &mut Rng, key: &str, value: serde_json::Value| {
            if rng.chance(80) {
                object.insert(key.to_string(), value);
            }
        };
        for key in ["a", "b", "c"] {
            let v = rng.below(5) as f64 - 1.0 + if rng.chance(30) { 0.5 } else { 0.0 };
            put(rng, key, serde_json::json!(v));
        }
        let tier = rng.pick(&["gold", "silver", "bronze"]);
        put(rng, "tier", serde_json::json!(tier));
        let (x, y) = (rng.chance(50), rng.chance(50));
        put(rng, "x", serde_json::json!(x));
        put(rng, "y", serde_json::json!(y));
        let city = rng.pick(&["上海", "北京", "x", "上海滩"]);
        put(rng, "city", serde_json::json!(city));
        for key in ["p", "q"] {
            let v = rng.below(11) as f64 / 10.0;
            put(rng, key, serde_json::json!(v));
        }
        engine
            .customer_from_json(&serde_json::Value::Object(object))
            .unwrap()
    }

    #[test]
    fn fast_evaluator_agrees_with_reference() {
        let mut checked = 0;
        for seed in 0..400u64 {
            let mut rng = Rng(seed);
            let rules = package(&mut rng);
            let engine = match Engine::from_sources(CATALOG, &[("random.vas", &rules)]) {
                Ok(engine) => engine,
                Err(e) => panic!("seed {seed}: generated package does not check:\n{e}\n{rules}"),
            };
            let mut evaluator = engine.evaluator();
            for _ in 0..40 {
                let customer = customer(&mut rng, &engine);
                let fast = evaluator.evaluate(&customer).map(<[Offer]>::to_vec);
                let reference = engine.evaluate_reference(&customer);
                match (&fast, &reference) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "seed {seed}\n{rules}\n{customer:?}"),
                    (Err(_), Err(_)) => {}
                    _ => panic!("seed {seed}: {fast:?} vs {reference:?}\n{rules}\n{customer:?}"),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 16_000);
    }
}
