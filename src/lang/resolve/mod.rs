//! Names and types: the syntax trees of all files, checked against the catalog.
//!
//! In: the parsed files, the catalog and its schema. Out: a [`CheckedPackage`]
//! where every name is an id and every expression is typed, plus every error
//! and warning found (all of them, not just the first).

mod grid;
mod lint;
mod table;
mod types;

use crate::base::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::base::source::{SourceMap, Span};
use crate::lang::graph;
use crate::lang::ir::{self, CheckedPackage, Gain, ProfileId, RuleId, SegmentId, ServiceId, Type};
use crate::lang::syntax::ast::{self, ActionKind, Item};
use crate::package::catalog::Catalog;
use crate::package::schema::Schema;
use std::collections::HashMap;

pub(crate) struct Resolver<'a> {
    pub catalog: &'a Catalog,
    pub schema: &'a mut Schema,
    pub sources: &'a SourceMap,
    pub services: HashMap<&'a str, ServiceId>,
    pub diagnostics: Vec<Diagnostic>,
    /// Declarations that failed to parse: references to them are not errors again.
    pub broken: &'a [String],
    /// Whether an earlier phase already failed (then no lints, no "empty package").
    pub earlier_errors: bool,
    /// Whether `derived` may be used in the expression being typed, and if
    /// not, why: its message depends on where it is.
    pub derived: Derived,
    /// What a script being typed must return: a condition, or a gain.
    pub script_returns: crate::lang::script::Returns,
    /// The package's scripts, compiled as they are met.
    pub scripts: crate::lang::script::Scripts,
}

/// Resolves and checks a whole package.
pub(crate) fn resolve(
    catalog: &Catalog,
    schema: &mut Schema,
    sources: &SourceMap,
    items: Vec<Item>,
    broken: &[String],
    earlier_errors: bool,
) -> (Option<CheckedPackage>, Vec<Diagnostic>) {
    let services = catalog
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), ServiceId::new(i)))
        .collect();
    let tracked: Vec<(String, Option<u32>)> = catalog
        .services
        .iter()
        .map(|s| {
            let slot = s.in_use.as_deref().and_then(|a| schema.attribute(a));
            (s.id.clone(), slot)
        })
        .collect();
    let scripts = crate::lang::script::Scripts::new(&catalog.scripts, schema, &tracked);
    let mut resolver = Resolver {
        catalog,
        schema,
        sources,
        services,
        diagnostics: Vec::new(),
        broken,
        earlier_errors,
        derived: Derived::NotAGain,
        script_returns: crate::lang::script::Returns::Bool,
        scripts,
    };
    let package = resolver.package(items);
    (package, resolver.diagnostics)
}

impl Resolver<'_> {
    fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn package(&mut self, items: Vec<Item>) -> Option<CheckedPackage> {
        let mut segment_decls = Vec::new();
        let mut profile_decls = Vec::new();
        let mut rule_decls = Vec::new();
        let mut table_decls = Vec::new();
        for item in items {
            match item {
                Item::Segment(s) => segment_decls.push(s),
                Item::Profile(p) => profile_decls.push(p),
                Item::Rule(r) => rule_decls.push(r),
                Item::Table(t) => table_decls.push(t),
            }
        }
        if segment_decls.is_empty()
            && rule_decls.is_empty()
            && table_decls.is_empty()
            && !self.earlier_errors
        {
            self.error(
                Diagnostic::error_nowhere(
                    Code::EmptyPackage,
                    "the package declares no segments and no rules",
                )
                .with_help("add a `.vas` file with at least one `segment` and one `rule`"),
            );
            return None;
        }

        let segment_ids = self.index_names(
            "segment",
            segment_decls.iter().map(|s| &s.name),
            SegmentId::new,
        );
        let profile_ids = self.index_names(
            "profile",
            profile_decls.iter().map(|p| &p.name),
            ProfileId::new,
        );
        self.index_names("rule", rule_decls.iter().map(|r| &r.name), RuleId::new);
        self.index_names("table", table_decls.iter().map(|t| &t.name), RuleId::new);

        // Segments: parents first, so the graph can be checked before anything else.
        let mut parents = Vec::with_capacity(segment_decls.len());
        for (id, decl) in segment_decls.iter().enumerate() {
            let mut list = Vec::new();
            for parent in &decl.parents {
                if parent.text == decl.name.text {
                    self.error(
                        Diagnostic::error(
                            Code::SelfParent,
                            parent.span,
                            format!("segment `{}` is placed under itself", decl.name.text),
                        )
                        .with_help("a segment's parents must be other segments"),
                    );
                    continue;
                }
                match segment_ids.get(parent.text.as_str()) {
                    Some(&p) if !list.contains(&p) => list.push(p),
                    Some(_) => {}
                    None if self.broken.contains(&parent.text) => {}
                    None => {
                        let help = did_you_mean(&parent.text, segment_ids.keys().copied());
                        self.error(
                            Diagnostic::error(
                                Code::UnknownSegment,
                                parent.span,
                                format!("there is no segment called `{}`", parent.text),
                            )
                            .with_help_opt(help),
                        );
                    }
                }
            }
            let _ = id;
            parents.push(list);
        }
        let graph = match graph::build(&parents) {
            Ok(graph) => self.depth_error(&segment_decls, &graph).then_some(graph),
            Err(cycles) => {
                for cycle in cycles {
                    self.cycle_error(&segment_decls, &cycle);
                }
                None
            }
        };

        let segments: Vec<ir::Segment> = segment_decls
            .iter()
            .zip(parents)
            .map(|(decl, parents)| ir::Segment {
                name: decl.name.text.clone(),
                label: decl.label.clone(),
                parents,
                when: decl.when.as_ref().and_then(|w| self.condition(w)),
                span: decl.span,
                name_span: decl.name.span,
            })
            .collect();
        let profiles: Vec<ir::Profile> = profile_decls
            .iter()
            .map(|decl| ir::Profile {
                name: decl.name.text.clone(),
                when: decl.when.as_ref().and_then(|w| self.condition(w)),
                span: decl.span,
            })
            .collect();
        let mut rules: Vec<ir::Rule> = rule_decls
            .iter()
            .filter_map(|decl| self.rule(decl, &segment_ids, &profile_ids))
            .collect();
        let mut tables = Vec::with_capacity(table_decls.len());
        for decl in &table_decls {
            tables.extend(self.table(decl, &segment_ids, &profile_ids, &mut rules));
        }
        // Rules in the order they were written (files in order, then top to
        // bottom), a table's rows where the table stands: conflicts between
        // rules of equal specificity and priority go to the one written first.
        rules.sort_by_key(|r| (r.written_at.file, r.written_at.start));
        for table in &tables {
            let found = grid::overlaps(table, self.schema);
            self.diagnostics.extend(found);
        }

        let failed = self.earlier_errors || self.diagnostics.iter().any(Diagnostic::is_error);
        let package = CheckedPackage {
            segments,
            profiles,
            rules,
            graph: graph?,
            scripts: std::sync::Arc::new(std::mem::take(&mut self.scripts)),
        };
        if failed {
            return None;
        }
        let warnings = lint::lint(&package, self.catalog, self.sources);
        self.diagnostics.extend(warnings);
        for table in &tables {
            let found = grid::warnings(
                table,
                &package,
                self.schema,
                self.catalog.limits.max_table_work,
            );
            self.diagnostics.extend(found);
        }
        Some(package)
    }

    /// Maps names to dense ids; reports duplicates against the first declaration.
    fn index_names<'n, Id: Copy>(
        &mut self,
        what: &str,
        names: impl Iterator<Item = &'n ast::Name>,
        id_of: impl Fn(usize) -> Id,
    ) -> HashMap<&'n str, Id> {
        let mut ids: HashMap<&str, (Id, Span)> = HashMap::new();
        for (i, name) in names.enumerate() {
            if let Some(&(_, first_span)) = ids.get(name.text.as_str()) {
                self.error(
                    Diagnostic::error(
                        Code::DuplicateName,
                        name.span,
                        format!("there is already a {what} called `{}`", name.text),
                    )
                    .with_label(first_span, "first declared here")
                    .with_help(format!(
                        "rename one of them; {what} names must be unique across all files"
                    )),
                );
            } else {
                ids.insert(name.text.as_str(), (id_of(i), name.span));
            }
        }
        ids.into_iter().map(|(name, (id, _))| (name, id)).collect()
    }

    /// Whether every segment is within [`graph::MAX_SEGMENT_DEPTH`] levels of
    /// a root; reports the first one that is not.
    fn depth_error(&mut self, decls: &[ast::SegmentDecl], graph: &graph::SegmentGraph) -> bool {
        let too_deep = graph.order.iter().find(|id| {
            graph
                .depth
                .get(id.index())
                .is_some_and(|&d| d > graph::MAX_SEGMENT_DEPTH)
        });
        let Some(decl) = too_deep.and_then(|id| decls.get(id.index())) else {
            return true;
        };
        self.error(
            Diagnostic::error(
                Code::TooDeep,
                decl.name.span,
                format!(
                    "segment `{}` lies more than {} levels below its root segment",
                    decl.name.text,
                    graph::MAX_SEGMENT_DEPTH
                ),
            )
            .with_help(format!(
                "segments may nest at most {} levels; place it under a segment nearer the root",
                graph::MAX_SEGMENT_DEPTH
            )),
        );
        false
    }

    fn cycle_error(&mut self, decls: &[ast::SegmentDecl], cycle: &[SegmentId]) {
        let names: Vec<&str> = cycle
            .iter()
            .filter_map(|id| decls.get(id.index()))
            .map(|d| d.name.text.as_str())
            .collect();
        let Some(first) = cycle.first().and_then(|id| decls.get(id.index())) else {
            return;
        };
        let mut diagnostic = Diagnostic::error(
            Code::SegmentCycle,
            first.name.span,
            format!(
                "segments are placed under each other in a circle: {}",
                names.join(" -> ")
            ),
        )
        .with_help(
            "a segment cannot be (indirectly) its own parent; remove one of the `under` links",
        );
        for window in cycle.windows(2) {
            let (Some(parent), Some(child)) = (
                decls.get((window[0]).index()),
                decls.get((window[1]).index()),
            ) else {
                continue;
            };
            if let Some(link) = child.parents.iter().find(|p| p.text == parent.name.text) {
                diagnostic = diagnostic.with_label(
                    link.span,
                    format!("`{}` is under `{}`", child.name.text, parent.name.text),
                );
            }
        }
        self.error(diagnostic);
    }

    /// A rule's (or table's) `for SEGMENT, profile PROFILE`, reporting unknown names.
    fn target(
        &mut self,
        segment_name: &ast::Name,
        profile_name: Option<&ast::Name>,
        segment_ids: &HashMap<&str, SegmentId>,
        profile_ids: &HashMap<&str, ProfileId>,
    ) -> Option<(SegmentId, Option<ProfileId>)> {
        let segment = segment_ids.get(segment_name.text.as_str()).copied();
        if segment.is_none() && !self.broken.contains(&segment_name.text) {
            let help = did_you_mean(&segment_name.text, segment_ids.keys().copied());
            self.error(
                Diagnostic::error(
                    Code::UnknownSegment,
                    segment_name.span,
                    format!("there is no segment called `{}`", segment_name.text),
                )
                .with_help_opt(help),
            );
        }
        let profile = match profile_name {
            None => Some(None),
            Some(name) => match profile_ids.get(name.text.as_str()) {
                Some(&id) => Some(Some(id)),
                None if self.broken.contains(&name.text) => None,
                None => {
                    let help = did_you_mean(&name.text, profile_ids.keys().copied());
                    self.error(
                        Diagnostic::error(
                            Code::UnknownProfile,
                            name.span,
                            format!("there is no profile called `{}`", name.text),
                        )
                        .with_help_opt(help),
                    );
                    None
                }
            },
        };
        Some((segment?, profile?))
    }

    fn rule(
        &mut self,
        decl: &ast::RuleDecl,
        segment_ids: &HashMap<&str, SegmentId>,
        profile_ids: &HashMap<&str, ProfileId>,
    ) -> Option<ir::Rule> {
        let (segment, profile) = match self.target(
            &decl.segment,
            decl.profile.as_ref(),
            segment_ids,
            profile_ids,
        ) {
            Some((segment, profile)) => (Some(segment), Some(profile)),
            None => (None, None),
        };
        let service = self.service(&decl.service);
        let when = match &decl.when {
            Some(w) => Some(self.condition(w)?),
            None => None,
        };
        let gain = match (decl.action, &decl.gain, service) {
            (ActionKind::Suppress, _, _) => None,
            (ActionKind::Offer, Some(expr), service) => {
                self.derived = match service {
                    Some(s) if self.has_effects(s) => Derived::Allowed,
                    Some(s) => Derived::NoEffects(s),
                    None => Derived::UnknownService,
                };
                self.script_returns = crate::lang::script::Returns::Number;
                let typed = self.typed(expr);
                self.script_returns = crate::lang::script::Returns::Bool;
                self.derived = Derived::NotAGain;
                let typed = typed?;
                if typed.ty != Type::Number {
                    self.error(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            expr.span,
                            format!(
                                "a gain must be a number, but this is {}",
                                typed.ty.describe()
                            ),
                        )
                        .with_help("write the expected satisfaction gain, e.g. `gain 2.5`"),
                    );
                    return None;
                }
                Some(Gain::Expr(typed))
            }
            (ActionKind::Offer, None, Some(service)) => {
                let entry = self.catalog.services.get(service.index())?;
                match entry.default_gain {
                    Some(gain) => Some(Gain::Default(gain)),
                    None if self.has_effects(service) => Some(Gain::Derived),
                    None => {
                        self.error(
                            Diagnostic::error(
                                Code::MissingGain,
                                decl.name.span,
                                format!(
                                    "rule `{}` offers `{}` but says no `gain`, and the service has no `default_gain`",
                                    decl.name.text, entry.id
                                ),
                            )
                            .with_help("add `gain NUMBER` to the rule, or `default_gain:` or `effects:` to the service in catalog.yaml"),
                        );
                        return None;
                    }
                }
            }
            (ActionKind::Offer, None, None) => None,
        };
        Some(ir::Rule {
            name: decl.name.text.clone(),
            segment: segment?,
            profile: profile?,
            when,
            action: decl.action,
            service: service?,
            gain,
            priority: decl.priority,
            because: decl.because.clone(),
            span: decl.span,
            name_span: decl.name.span,
            from_table: false,
            written_at: decl.span,
        })
    }

    /// Whether the satisfaction model can derive a gain for this service.
    /// The words for `derived` where it cannot be worked out, or `None`
    /// where nothing more should be said (the rule's service is unknown,
    /// which is already an error).
    pub(crate) fn derived_refused(&self, at: crate::base::source::Span) -> Option<Diagnostic> {
        let error = |message: String, help: String| {
            Some(Diagnostic::error(Code::TypeMismatch, at, message).with_help(help))
        };
        match self.derived {
            Derived::Allowed | Derived::UnknownService => None,
            Derived::NotAGain => error(
                "`derived` is the gain worked out from the service's effects, so it only works in a `gain`".into(),
                "use it in the gain of a rule whose service has `effects:` in catalog.yaml (and the catalog has satisfaction dimensions)".into(),
            ),
            Derived::NoEffects(_) if self.catalog.satisfaction.dimensions.is_empty() => error(
                "`derived` works the gain out from the satisfaction model, but catalog.yaml declares no `satisfaction: dimensions:`".into(),
                "write the gain as a number (e.g. `gain 2.5`), or declare the dimensions and the service's `effects:`".into(),
            ),
            Derived::NoEffects(service) => {
                let id = self
                    .catalog
                    .services
                    .get(service.index())
                    .map_or("", |s| s.id.as_str());
                let dimension = self
                    .catalog
                    .satisfaction
                    .dimensions
                    .first()
                    .map_or("a_dimension", |d| d.id.as_str());
                error(
                    format!("`derived` works the gain out from the service's effects, but `{id}` has no `effects:` in catalog.yaml"),
                    format!("give `{id}` its effects in catalog.yaml (e.g. `effects: {{ {dimension}: 3 }}`), or write the gain as a number"),
                )
            }
        }
    }

    fn has_effects(&self, service: ServiceId) -> bool {
        !self.catalog.satisfaction.dimensions.is_empty()
            && self
                .catalog
                .services
                .get(service.index())
                .is_some_and(|s| !s.effects.is_empty())
    }

    pub(crate) fn service(&mut self, name: &ast::Name) -> Option<ServiceId> {
        if let Some(&id) = self.services.get(name.text.as_str()) {
            return Some(id);
        }
        let help = did_you_mean(&name.text, self.services.keys().copied())
            .or_else(|| Some("services are listed under `services:` in catalog.yaml".into()));
        self.error(
            Diagnostic::error(
                Code::UnknownService,
                name.span,
                format!("there is no service called `{}` in the catalog", name.text),
            )
            .with_help_opt(help),
        );
        None
    }

    /// Types an expression that must be a yes/no condition.
    fn condition(&mut self, expr: &ast::Expr) -> Option<ir::TypedExpr> {
        let typed = self.typed(expr)?;
        if typed.ty != Type::Bool {
            let text = self.sources.slice(expr.span).to_string();
            self.error(
                Diagnostic::error(
                    Code::TypeMismatch,
                    expr.span,
                    format!(
                        "a condition must be yes or no, but `{text}` is {}",
                        typed.ty.describe()
                    ),
                )
                .with_help("compare it with something, e.g. `tenure_months >= 12`"),
            );
            return None;
        }
        Some(typed)
    }
}
/// Where `derived` is being typed, for what to say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Derived {
    /// Not in a gain: a condition, a segment, a profile.
    NotAGain,
    /// In the gain of a rule whose service has effects.
    Allowed,
    /// In the gain of a rule whose service does not exist (already an error).
    UnknownService,
    /// In the gain of a rule whose service has no effects, or of a catalog
    /// with no satisfaction dimensions.
    NoEffects(ServiceId),
}
