//! From the names a case uses to the engine's ids and customers.
//!
//! In: the [`Engine`], the package folder and the loaded cases.
//! Out: [`Names`], lookups from service, segment, rule and customer-key names
//! to ids and columns (with a suggestion for a typo); [`Samples`], the rows of
//! the package's sample that cases refer to; and, per case, the [`Customer`]
//! to evaluate ([`build_customer`]), or why the case cannot build one.

use super::cases::{CaseSpec, LoadedCase};
use crate::base::diagnostic::{closest, did_you_mean};
use crate::engine::Engine;
use crate::lang::ir::{RuleId, SegmentId, ServiceId};
use crate::package::customer::Customer;
use serde_json::{Map, Value as Json};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Lookups from the names a case uses to the engine's ids.
pub(super) struct Names<'e> {
    pub(super) engine: &'e Engine,
    services: HashMap<&'e str, ServiceId>,
    segments: HashMap<&'e str, SegmentId>,
    rules: HashMap<&'e str, RuleId>,
    /// Every accepted customer key (column, attribute name, `pref.NAME`) to its column.
    keys: Vec<(String, String)>,
    /// The id attribute's column.
    id_column: Option<String>,
}

impl<'e> Names<'e> {
    pub(super) fn new(engine: &'e Engine) -> Self {
        let catalog = engine.catalog();
        let services = engine
            .service_ids()
            .zip(&catalog.services)
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let segments = engine
            .segment_ids()
            .map(|i| (engine.segment_name(i), i))
            .collect();
        let rules = engine
            .rule_ids()
            .map(|i| (engine.rule_name(i), i))
            .collect();
        let mut keys = Vec::new();
        for a in &catalog.customer.attributes {
            keys.push((a.column().to_string(), a.column().to_string()));
            keys.push((a.name.clone(), a.column().to_string()));
        }
        for p in &catalog.customer.preferences {
            keys.push((p.column(), p.column()));
            keys.push((format!("pref.{}", p.name), p.column()));
        }
        let id_column = catalog.customer.id.as_ref().and_then(|id| {
            let a = catalog.customer.attributes.iter().find(|a| &a.name == id)?;
            Some(a.column().to_string())
        });
        Names {
            engine,
            services,
            segments,
            rules,
            keys,
            id_column,
        }
    }

    /// The column a customer key stands for: exact, then ignoring ASCII case.
    fn column(&self, key: &str) -> Result<&str, String> {
        let exact = self.keys.iter().find(|(k, _)| k == key);
        let found = exact.or_else(|| self.keys.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)));
        found.map(|(_, c)| c.as_str()).ok_or_else(|| {
            let hint = did_you_mean(key, self.keys.iter().map(|(k, _)| k.as_str()))
                .map_or(String::new(), |h| format!(" ({h})"));
            format!("the customer schema has no column or attribute `{key}`{hint}")
        })
    }

    fn check<Id: Copy>(
        &self,
        what: &str,
        name: &str,
        table: &HashMap<&str, Id>,
    ) -> Result<Id, String> {
        table.get(name).copied().ok_or_else(|| {
            let hint = closest(name, table.keys().copied())
                .map_or(String::new(), |c| format!(" (did you mean `{c}`?)"));
            format!("there is no {what} `{name}`{hint}")
        })
    }

    pub(super) fn service(&self, name: &str) -> Result<ServiceId, String> {
        self.check("service", name, &self.services)
    }

    pub(super) fn segment(&self, name: &str) -> Result<SegmentId, String> {
        self.check("segment", name, &self.segments)
    }

    pub(super) fn rule(&self, name: &str) -> Result<RuleId, String> {
        self.check("rule", name, &self.rules)
    }
}

/// The sample rows the cases refer to, by id (read once, only when needed).
pub(super) struct Samples(Result<HashMap<String, Map<String, Json>>, String>);

fn sample_id(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Samples {
    pub(super) fn load(
        engine: &Engine,
        dir: &Path,
        cases: &[LoadedCase],
        names: &Names<'_>,
    ) -> Samples {
        let wanted: HashSet<String> = cases
            .iter()
            .filter_map(|c| c.spec.sample.as_ref().map(sample_id))
            .collect();
        if wanted.is_empty() {
            return Samples(Ok(HashMap::new()));
        }
        Samples(Self::read(engine, dir, &wanted, names))
    }

    fn read(
        engine: &Engine,
        dir: &Path,
        wanted: &HashSet<String>,
        names: &Names<'_>,
    ) -> Result<HashMap<String, Map<String, Json>>, String> {
        let Some(sample) = &engine.catalog().sample else {
            return Err("`sample:` needs the catalog's `sample:` file, and it names none".into());
        };
        let Some(id_column) = &names.id_column else {
            return Err("`sample:` needs the catalog's `customer.id` attribute".into());
        };
        // The sample must stay inside the package (see `Engine::sample_path`).
        let path = match engine.sample_path(dir) {
            Some(Ok(path)) => path,
            Some(Err(why)) => return Err(why),
            None => dir.join(sample),
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read the sample `{sample}`: {e}"))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let json = [".jsonl", ".ndjson", ".json"]
            .iter()
            .any(|e| sample.ends_with(e));
        let mut rows: Vec<Map<String, Json>> = Vec::new();
        if json {
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let object: Map<String, Json> =
                    serde_json::from_str(line).map_err(|e| format!("{sample}:{}: {e}", i + 1))?;
                rows.push(object);
            }
        } else {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let header = reader
                .headers()
                .map_err(|e| format!("{sample}: {e}"))?
                .clone();
            for record in reader.records() {
                let record = record.map_err(|e| format!("{sample}: {e}"))?;
                let row = header
                    .iter()
                    .zip(record.iter())
                    .map(|(k, v)| (k.to_string(), Json::String(v.to_string())))
                    .collect();
                rows.push(row);
            }
        }
        let mut found = HashMap::new();
        for row in rows {
            let mut canonical = Map::new();
            for (key, value) in row {
                if let Ok(column) = names.column(&key) {
                    canonical.insert(column.to_string(), value);
                }
            }
            let id = canonical.get(id_column).map(sample_id);
            if let Some(id) = id.map(|i| i.trim().to_string())
                && wanted.contains(&id)
            {
                found.entry(id).or_insert(canonical);
            }
        }
        Ok(found)
    }
}

/// The case's customer: its own columns, or a sample row with overrides.
pub(super) fn build_customer(
    spec: &CaseSpec,
    names: &Names<'_>,
    samples: &Samples,
) -> Result<Customer, String> {
    let mut object = Map::new();
    let put = |object: &mut Map<String, Json>, what: &str, fields: &Map<String, Json>| {
        for (key, value) in fields {
            let column = names
                .column(key)
                .map_err(|e| format!("{what}.{key}: {e}"))?;
            object.insert(column.to_string(), value.clone());
        }
        Ok::<(), String>(())
    };
    match (&spec.customer, &spec.sample) {
        (Some(_), Some(_)) => return Err("give `customer:` or `sample:`, not both".into()),
        (None, None) => {
            return Err(
                "the case needs `customer:` (the customer's columns) or `sample:` (the id of a row of the package's sample)"
                    .into(),
            );
        }
        (Some(customer), None) => {
            if spec.overrides.is_some() {
                return Err(
                    "`with:` changes a `sample:` row; put the values in `customer:`".into(),
                );
            }
            put(&mut object, "customer", customer)?;
        }
        (None, Some(id)) => {
            let id = sample_id(id);
            let rows = samples.0.as_ref().map_err(|e| format!("sample: {e}"))?;
            let row = rows
                .get(&id)
                .ok_or_else(|| format!("sample: no row of the sample has the id `{id}`"))?;
            object.clone_from(row);
            if let Some(overrides) = &spec.overrides {
                put(&mut object, "with", overrides)?;
            }
        }
    }
    if let Some(id) = &names.id_column {
        object
            .entry(id.clone())
            .or_insert_with(|| Json::String(spec.name.clone()));
    }
    names
        .engine
        .customer_from_json(&Json::Object(object))
        .map_err(|e| format!("customer: {e}"))
}
