//! The command tree: commands declared in SCPI pattern notation, resolved by
//! the short/long-form rule, optional nodes, numeric suffixes and the IEEE
//! 488.2 compound-path rule.
//!
//! Patterns look like `SYSTem:ERRor[:NEXT]?`, `[:SOURce]:VOLTage`,
//! `OUTPut#:STATe` (numeric suffix, any value ≥ 0) or `OUTPut#{1..4}:STATe`
//! (suffix range), `*VER?` (a common command). A trailing `?` declares the
//! query form; set and query forms of one header are two declarations.
//!
//! The tree is built once ([`Tree::add`]) into a fixed node array (no heap);
//! resolving a header walks it level by level, comparing only the children of
//! the current node — never all patterns.

use core::fmt;

use crate::error::{Error, code};
use crate::lexer::{Header, MAX_HEADER_DEPTH, MAX_MNEMONIC_LEN, is_ws};
use crate::mnemonic::{matches, short_len};
use crate::params::{MAX_PARAMS, Param};
use crate::sink::copy_small;

/// Index of a node; `ROOT` is the tree root.
pub(crate) type NodeId = u16;
pub(crate) const ROOT: NodeId = 0;
const NONE: NodeId = NodeId::MAX;

/// The most numeric suffixes one header may carry.
pub const MAX_SUFFIXES: usize = 4;
/// The most common (`*XXX`) commands a tree holds, built-ins included.
pub const MAX_COMMONS: usize = 32;

/// The commands this crate implements itself (IEEE 488.2 common commands,
/// the SCPI error queue, `SYSTem:VERSion?`, `COMMunicate:HEADer`).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Builtin {
    Cls,
    Ese,
    EseQ,
    EsrQ,
    IdnQ,
    Opc,
    OpcQ,
    Rst,
    Sre,
    SreQ,
    StbQ,
    TstQ,
    Wai,
    ErrNextQ,
    ErrCountQ,
    ErrAllQ,
    VersionQ,
    HeaderSet,
    HeaderQ,
}

/// What a resolved header runs.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target<C> {
    Builtin(Builtin),
    Device(C),
}

/// A command form: what runs and what it takes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Leaf<C> {
    pub(crate) target: Target<C>,
    pub(crate) params: &'static [Param],
    /// What a query answers when its parameters are refused (`None`: no line).
    pub(crate) refusal_answer: Option<&'static str>,
}

#[derive(Clone, Copy, Debug)]
struct Node<C> {
    word: &'static str,
    /// [`key`] of the short form.
    short_key: u128,
    /// [`key`] of the long form.
    long_key: u128,
    /// Whether this node or an ancestor takes a numeric suffix.
    suffix_in_chain: bool,
    parent: NodeId,
    first_child: NodeId,
    last_child: NodeId,
    next_sibling: NodeId,
    optional: bool,
    suffix: Option<(u32, u32)>,
    set: Option<Leaf<C>>,
    query: Option<Leaf<C>>,
}

impl<C: Copy> Node<C> {
    const EMPTY: Self = Self {
        word: "",
        short_key: NO_KEY,
        long_key: NO_KEY,
        suffix_in_chain: false,
        parent: NONE,
        first_child: NONE,
        last_child: NONE,
        next_sibling: NONE,
        optional: false,
        suffix: None,
        set: None,
        query: None,
    };

    fn leaf(&self, query: bool) -> Option<Leaf<C>> {
        if query { self.query } else { self.set }
    }

    /// The short/long-form rule: `k` is the [`key`] of the input mnemonic.
    #[inline]
    fn is_named(&self, k: u128) -> bool {
        k == self.long_key || k == self.short_key
    }
}

#[derive(Clone, Copy, Debug)]
struct Common<C> {
    name: &'static str,
    key: u128,
    set: Option<Leaf<C>>,
    query: Option<Leaf<C>>,
}

/// Why a command could not be added to a [`Tree`].
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum TreeError {
    /// The pattern is not valid pattern notation.
    Pattern(&'static str),
    /// The node array (or the common-command table) is full.
    Full(&'static str),
    /// The same header form was declared twice.
    Duplicate(&'static str),
    /// A node clashes with a sibling (same short or long form, or the same
    /// word declared with different optional/suffix flags).
    Conflict(&'static str),
    /// The parameter declaration is invalid (more than [`MAX_PARAMS`] fixed
    /// parameters, or a list that is not last).
    Params(&'static str),
}

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pattern(p) => write!(f, "invalid command pattern `{p}`"),
            Self::Full(p) => write!(f, "command tree full when adding `{p}`"),
            Self::Duplicate(p) => write!(f, "command `{p}` declared twice"),
            Self::Conflict(p) => write!(f, "command `{p}` clashes with a sibling node"),
            Self::Params(p) => write!(f, "invalid parameter declaration for `{p}`"),
        }
    }
}

impl core::error::Error for TreeError {}

/// Suffix values along a path, as `(node, value)` pairs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SuffixMap {
    pairs: [(NodeId, u32); MAX_SUFFIXES],
    len: u8,
}

impl SuffixMap {
    fn get(&self, node: NodeId) -> Option<u32> {
        self.pairs[..usize::from(self.len)]
            .iter()
            .find(|p| p.0 == node)
            .map(|p| p.1)
    }

    fn push(&mut self, node: NodeId, v: u32) -> Result<(), BadSuffix> {
        let slot = self.pairs.get_mut(usize::from(self.len)).ok_or(BadSuffix)?;
        *slot = (node, v);
        self.len += 1;
        Ok(())
    }
}

/// The numeric suffix values of a resolved header, root first (one per node
/// declared with `#`; 1 where the header left it out).
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct Suffixes {
    values: [u32; MAX_SUFFIXES],
    len: u8,
}

impl Suffixes {
    /// The suffix values, root first.
    pub fn as_slice(&self) -> &[u32] {
        &self.values[..usize::from(self.len)]
    }

    /// Suffix `i` (root first), or 1 when the header has fewer.
    pub fn get(&self, i: usize) -> u32 {
        self.as_slice().get(i).copied().unwrap_or(1)
    }
}

/// A resolved header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Resolved<C> {
    pub(crate) leaf: Leaf<C>,
    pub(crate) node: NodeId,
    pub(crate) suffixes: Suffixes,
    /// The path for the next unit: the leaf's parent and its suffixes.
    pub(crate) next_path: Path,
}

/// The current header path of a session (IEEE 488.2 §7.6.1.3).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Path {
    pub(crate) node: NodeId,
    pub(crate) suffixes: SuffixMap,
}

/// A command tree for commands identified by `C` (usually a device's enum),
/// holding at most `N` nodes (`16 <= N <= MAX_NODES`, checked at compile
/// time).
///
/// Resolving a mnemonic is one probe in a hashed index of every node's short
/// and long form under its parent, so the cost does not grow with the number
/// of commands.
///
/// [`Tree::new`] already holds the built-in commands: the 13 IEEE 488.2
/// common commands, `SYSTem:ERRor[:NEXT]?`, `SYSTem:ERRor:COUNt?`,
/// `SYSTem:ERRor:ALL?`, `SYSTem:VERSion?` and `COMMunicate:HEADer[?]`.
///
/// ```
/// use scpi_parser::{Param, Tree, Unit};
/// #[derive(Clone, Copy, Debug)]
/// enum Cmd { Volt, VoltQ }
/// // Parameter lists are `'static`: declare them as constants.
/// const VOLT: &[Param] = &[Param::number(Unit::Volt).range(0.0, 10.0)];
/// let mut tree = Tree::new();
/// tree.add("[:SOURce]:VOLTage[:LEVel]", VOLT, Cmd::Volt).unwrap();
/// tree.add("[:SOURce]:VOLTage[:LEVel]?", &[], Cmd::VoltQ).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Tree<C, const N: usize = 128> {
    nodes: [Node<C>; N],
    /// Open-addressing index `(parent, key) → node` over every node's short
    /// and long form: one probe sequence per mnemonic, no sibling scan.
    index: [NodeId; HASH_SLOTS],
    len: usize,
    commons: [Common<C>; MAX_COMMONS],
    commons_len: usize,
}

impl<C: Copy> Tree<C> {
    /// A tree of the default capacity (128 nodes) with the built-in commands.
    pub fn new() -> Self {
        Self::new_sized()
    }
}

impl<C: Copy> Default for Tree<C> {
    fn default() -> Self {
        Self::new()
    }
}

const BUILTINS: [(&str, &[Param], Builtin); 19] = [
    ("*CLS", &[], Builtin::Cls),
    ("*ESE", &[Param::integer(0, 255)], Builtin::Ese),
    ("*ESE?", &[], Builtin::EseQ),
    ("*ESR?", &[], Builtin::EsrQ),
    ("*IDN?", &[], Builtin::IdnQ),
    ("*OPC", &[], Builtin::Opc),
    ("*OPC?", &[], Builtin::OpcQ),
    ("*RST", &[], Builtin::Rst),
    ("*SRE", &[Param::integer(0, 255)], Builtin::Sre),
    ("*SRE?", &[], Builtin::SreQ),
    ("*STB?", &[], Builtin::StbQ),
    ("*TST?", &[], Builtin::TstQ),
    ("*WAI", &[], Builtin::Wai),
    ("SYSTem:ERRor[:NEXT]?", &[], Builtin::ErrNextQ),
    ("SYSTem:ERRor:COUNt?", &[], Builtin::ErrCountQ),
    ("SYSTem:ERRor:ALL?", &[], Builtin::ErrAllQ),
    ("SYSTem:VERSion?", &[], Builtin::VersionQ),
    (
        "COMMunicate:HEADer",
        &[Param::boolean()],
        Builtin::HeaderSet,
    ),
    ("COMMunicate:HEADer?", &[], Builtin::HeaderQ),
];

impl<C: Copy, const N: usize> Tree<C, N> {
    /// A tree of capacity `N` nodes with the built-in commands.
    ///
    /// # Panics
    /// Never for `N >= 16` (the built-ins need 11 nodes); a smaller `N` is a
    /// compile-time error.
    pub fn new_sized() -> Self {
        const { assert!(N >= 16, "a command tree needs at least 16 nodes") };
        const { assert!(N <= MAX_NODES, "a command tree holds at most 384 nodes") };
        let mut t = Self {
            nodes: [Node::EMPTY; N],
            index: [NONE; HASH_SLOTS],
            len: 1,
            commons: [Common {
                name: "",
                key: NO_KEY,
                set: None,
                query: None,
            }; MAX_COMMONS],
            commons_len: 0,
        };
        for (pattern, params, b) in BUILTINS {
            // The built-in patterns are valid and fit: N >= 16 and
            // MAX_COMMONS >= 13 (checked by the unit tests).
            let _ = t.insert(pattern, params, Target::Builtin(b), None);
        }
        t
    }

    /// Declares command `cmd` with header `pattern` and parameters `params`.
    pub fn add(
        &mut self,
        pattern: &'static str,
        params: &'static [Param],
        cmd: C,
    ) -> Result<(), TreeError> {
        self.insert(pattern, params, Target::Device(cmd), None)
    }

    /// Declares query `cmd` like [`add`](Self::add), and says what it answers
    /// when its parameters are refused before the handler runs (a wrong type,
    /// an out-of-range number, a number too large to read, an unknown word):
    /// the `answer` text (e.g. `ERROR`) as its response unit, the standard
    /// error still going to the queue. A client waiting for the query's line
    /// then always gets one. The pattern must be a query (`…?`) and `answer`
    /// a single line of printable ASCII without `;`.
    pub fn add_answering_refusal(
        &mut self,
        pattern: &'static str,
        params: &'static [Param],
        cmd: C,
        answer: &'static str,
    ) -> Result<(), TreeError> {
        if !pattern.trim().ends_with('?')
            || answer.is_empty()
            || !answer.bytes().all(|b| b.is_ascii_graphic() && b != b';')
        {
            return Err(TreeError::Pattern(pattern));
        }
        self.insert(pattern, params, Target::Device(cmd), Some(answer))
    }

    /// How many nodes are used (root included).
    pub fn node_count(&self) -> usize {
        self.len
    }

    fn insert(
        &mut self,
        pattern: &'static str,
        params: &'static [Param],
        target: Target<C>,
        refusal_answer: Option<&'static str>,
    ) -> Result<(), TreeError> {
        check_params(pattern, params)?;
        let leaf = Leaf {
            target,
            params,
            refusal_answer,
        };
        let body = pattern.trim();
        let (body, query) = match body.strip_suffix('?') {
            Some(b) => (b, true),
            None => (body, false),
        };
        if let Some(name) = body.strip_prefix('*') {
            if name.is_empty()
                || name.len() > MAX_MNEMONIC_LEN
                || !name.bytes().all(|b| b.is_ascii_alphabetic())
            {
                return Err(TreeError::Pattern(pattern));
            }
            let existing = self.commons[..self.commons_len]
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(name));
            let idx = match existing {
                Some(i) => i,
                None => {
                    if self.commons_len == MAX_COMMONS {
                        return Err(TreeError::Full(pattern));
                    }
                    self.commons[self.commons_len] = Common {
                        name,
                        key: key(name.as_bytes()),
                        set: None,
                        query: None,
                    };
                    self.commons_len += 1;
                    self.commons_len - 1
                }
            };
            let slot = if query {
                &mut self.commons[idx].query
            } else {
                &mut self.commons[idx].set
            };
            if slot.is_some() {
                return Err(TreeError::Duplicate(pattern));
            }
            *slot = Some(leaf);
            return Ok(());
        }
        let mut rest = body.strip_prefix(':').unwrap_or(body);
        let mut node = ROOT;
        let mut depth = 0;
        loop {
            let (optional, elem, after) = if let Some(r) = rest.strip_prefix('[') {
                let r = r.strip_prefix(':').unwrap_or(r);
                let end = r.find(']').ok_or(TreeError::Pattern(pattern))?;
                (true, &r[..end], &r[end + 1..])
            } else {
                let end = rest.find([':', '[']).unwrap_or(rest.len());
                (false, &rest[..end], &rest[end..])
            };
            let (word, suffix) = parse_elem(elem).ok_or(TreeError::Pattern(pattern))?;
            depth += 1;
            if depth > MAX_HEADER_DEPTH {
                return Err(TreeError::Pattern(pattern));
            }
            node = self.child_or_insert(node, word, optional, suffix, pattern)?;
            if after.is_empty() {
                break;
            }
            rest = match after.strip_prefix(':') {
                Some(r) if !r.is_empty() => r,
                Some(_) => return Err(TreeError::Pattern(pattern)),
                None if after.starts_with('[') => after,
                None => return Err(TreeError::Pattern(pattern)),
            };
        }
        let n = &mut self.nodes[usize::from(node)];
        let slot = if query { &mut n.query } else { &mut n.set };
        if slot.is_some() {
            return Err(TreeError::Duplicate(pattern));
        }
        *slot = Some(leaf);
        Ok(())
    }

    fn children(&self, parent: NodeId) -> Children<'_, C, N> {
        Children {
            tree: self,
            next: self.nodes[usize::from(parent)].first_child,
        }
    }

    fn child_or_insert(
        &mut self,
        parent: NodeId,
        word: &'static str,
        optional: bool,
        suffix: Option<(u32, u32)>,
        pattern: &'static str,
    ) -> Result<NodeId, TreeError> {
        let wb = word.as_bytes();
        let short = &wb[..short_len(wb)];
        for c in self.children(parent) {
            let n = &self.nodes[usize::from(c)];
            if n.word.eq_ignore_ascii_case(word) {
                if n.optional != optional || n.suffix != suffix {
                    return Err(TreeError::Conflict(pattern));
                }
                return Ok(c);
            }
            if matches(n.word, short) || matches(n.word, wb) {
                return Err(TreeError::Conflict(pattern));
            }
        }
        if self.len == N || self.len >= usize::from(NONE) {
            return Err(TreeError::Full(pattern));
        }
        let id = self.len as NodeId;
        self.len += 1;
        let suffix_in_chain = suffix.is_some() || self.nodes[usize::from(parent)].suffix_in_chain;
        self.nodes[usize::from(id)] = Node {
            word,
            short_key: key(short),
            long_key: key(wb),
            suffix_in_chain,
            parent,
            optional,
            suffix,
            ..Node::EMPTY
        };
        let p = &mut self.nodes[usize::from(parent)];
        if p.first_child == NONE {
            p.first_child = id;
        } else {
            let last = p.last_child;
            self.nodes[usize::from(last)].next_sibling = id;
        }
        self.nodes[usize::from(parent)].last_child = id;
        let (sk, lk) = (key(short), key(wb));
        for k in [lk, sk] {
            if k != NO_KEY {
                let mut i = slot(parent, k);
                while self.index[i] != NONE {
                    i = (i + 1) & (HASH_SLOTS - 1);
                }
                self.index[i] = id;
            }
            if sk == lk {
                break;
            }
        }
        Ok(id)
    }

    /// Finds the child of `parent` that mnemonic `m` names.
    #[inline(always)]
    fn find_child(
        &self,
        parent: NodeId,
        m: &[u8],
        explicit: &mut SuffixMap,
    ) -> Result<Option<NodeId>, BadSuffix> {
        let mk = key(m);
        if let Some(id) = self.lookup(parent, mk, false) {
            return Ok(Some(id));
        }
        let digits = m.iter().rev().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            // A suffix node named without its suffix (suffix 1).
            return Ok(self.lookup(parent, mk, true));
        }
        let alpha = &m[..m.len() - digits];
        let ak = key(alpha);
        if let Some(id) = self.lookup(parent, ak, true) {
            let (lo, hi) = self.nodes[usize::from(id)].suffix.unwrap_or((0, u32::MAX));
            let v = parse_u32(&m[alpha.len()..])
                .filter(|v| (lo..=hi).contains(v))
                .ok_or(BadSuffix)?;
            explicit.push(id, v)?;
            return Ok(Some(id));
        }
        if self.lookup(parent, ak, false).is_some() {
            return Err(BadSuffix);
        }
        Ok(None)
    }

    /// The child of `parent` whose short or long form has key `k` (and that
    /// does or does not take a numeric suffix).
    #[inline]
    fn lookup(&self, parent: NodeId, k: u128, suffixed: bool) -> Option<NodeId> {
        if k == NO_KEY {
            return None;
        }
        let mut i = slot(parent, k);
        loop {
            let id = self.index[i];
            if id == NONE {
                return None;
            }
            let n = &self.nodes[usize::from(id)];
            if n.parent == parent && n.is_named(k) && n.suffix.is_some() == suffixed {
                return Some(id);
            }
            i = (i + 1) & (HASH_SLOTS - 1);
        }
    }

    /// One step down: a direct child, or a child of an optional child.
    fn step(
        &self,
        node: NodeId,
        m: &[u8],
        explicit: &mut SuffixMap,
        depth: usize,
    ) -> Result<Option<NodeId>, BadSuffix> {
        if let Some(c) = self.find_child(node, m, explicit)? {
            return Ok(Some(c));
        }
        if depth >= MAX_HEADER_DEPTH {
            return Ok(None);
        }
        for o in self.children(node) {
            if self.nodes[usize::from(o)].optional
                && let Some(c) = self.step(o, m, explicit, depth + 1)?
            {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    /// The node holding the `query`/set form at `node` or under its
    /// optional children (implied mnemonics).
    fn default_leaf(&self, node: NodeId, query: bool, depth: usize) -> Option<NodeId> {
        if self.nodes[usize::from(node)].leaf(query).is_some() {
            return Some(node);
        }
        if depth >= MAX_HEADER_DEPTH {
            return None;
        }
        self.children(node)
            .filter(|&o| self.nodes[usize::from(o)].optional)
            .find_map(|o| self.default_leaf(o, query, depth + 1))
    }

    /// Resolves a common command name.
    pub(crate) fn common(&self, name: &[u8], query: bool) -> Option<Leaf<C>> {
        self.common_by_key(key(name), query)
    }

    /// The fast path for a common command header (`*IDN?`) that ends its
    /// unit, in the manner of [`Tree::resolve_direct`]: `None` sends
    /// anything else to the general path.
    #[inline(never)]
    pub(crate) fn common_direct(&self, s: &[u8], pos: usize) -> Option<(Leaf<C>, bool, usize)> {
        let start = pos + 1;
        if !s.get(start).is_some_and(u8::is_ascii_alphabetic) {
            return None;
        }
        let (k, len) = mnemonic_key(s, start)?;
        let mut end = start + len;
        let query = s.get(end) == Some(&b'?');
        if query {
            end += 1;
        }
        match s.get(end) {
            None | Some(b';') => {}
            Some(&c) if is_ws(c) => {}
            Some(_) => return None,
        }
        Some((self.common_by_key(k, query)?, query, end))
    }

    #[inline]
    fn common_by_key(&self, k: u128, query: bool) -> Option<Leaf<C>> {
        self.commons[..self.commons_len]
            .iter()
            .find(|c| c.key == k)
            .and_then(|c| if query { c.query } else { c.set })
    }

    /// The fast path of header lexing and resolution in one pass: every
    /// mnemonic is a direct child named without a numeric suffix, the last
    /// node holds the form asked for, and no node of the chain takes a
    /// suffix. That is the common case; it returns `None` for anything else
    /// (an optional node skipped, a suffix, a syntax or header error), and
    /// the caller then runs [`parse_header`](crate::lexer::parse_header) and
    /// [`Tree::resolve`], which give the same result or the exact error.
    ///
    /// On success returns the resolution, whether it is a query, and the
    /// position after the header.
    #[inline]
    pub(crate) fn resolve_direct(
        &self,
        s: &[u8],
        mut pos: usize,
        path: &Path,
    ) -> Option<(Resolved<C>, bool, usize)> {
        let mut node = path.node;
        if s.get(pos) == Some(&b':') {
            node = ROOT;
            pos += 1;
        }
        let query = loop {
            // Letters and `_` only (a digit means a suffix: slow path); the
            // first byte must be a letter.
            if !s.get(pos).is_some_and(u8::is_ascii_alphabetic) {
                return None;
            }
            let (k, len) = mnemonic_key(s, pos)?;
            pos += len;
            node = self.lookup(node, k, false)?;
            match s.get(pos) {
                Some(b':') => pos += 1,
                Some(b'?') => {
                    pos += 1;
                    break true;
                }
                _ => break false,
            }
        };
        match s.get(pos) {
            None | Some(b';') => {}
            Some(&c) if is_ws(c) => {}
            Some(_) => return None,
        }
        // The form asked for, here or under optional children (`ERR?` →
        // `ERRor:NEXT?`), as the general path does.
        let node = if self.nodes[usize::from(node)].leaf(query).is_some() {
            node
        } else {
            self.default_leaf(node, query, 0)?
        };
        let nd = &self.nodes[usize::from(node)];
        if nd.suffix_in_chain {
            return None;
        }
        let leaf = nd.leaf(query)?;
        Some((
            Resolved {
                leaf,
                node,
                suffixes: Suffixes::default(),
                next_path: Path {
                    node: nd.parent,
                    suffixes: SuffixMap::default(),
                },
            },
            query,
            pos,
        ))
    }

    /// Resolves a (non-common) header from the current path.
    pub(crate) fn resolve(&self, path: &Path, h: &Header<'_>) -> Result<Resolved<C>, Error> {
        let undefined = || Error::new(code::UNDEFINED_HEADER).with_detail_bytes(h.text);
        let (mut node, mut explicit) = if h.absolute {
            (ROOT, SuffixMap::default())
        } else {
            (path.node, path.suffixes)
        };
        for m in h.mnemonics() {
            // The common case: a direct child (no optional node skipped).
            let direct = self.find_child(node, m, &mut explicit);
            if let Ok(Some(c)) = direct {
                node = c;
                continue;
            }
            node = self
                .step(node, m, &mut explicit, 0)
                .map_err(|BadSuffix| {
                    Error::new(code::HEADER_SUFFIX_OUT_OF_RANGE).with_detail_bytes(m)
                })?
                .ok_or_else(undefined)?;
        }
        let leaf_node = self.default_leaf(node, h.query, 0).ok_or_else(undefined)?;
        let node_ref = &self.nodes[usize::from(leaf_node)];
        let leaf = node_ref.leaf(h.query).ok_or_else(undefined)?;
        if !node_ref.suffix_in_chain {
            return Ok(Resolved {
                leaf,
                node: leaf_node,
                suffixes: Suffixes::default(),
                next_path: Path {
                    node: node_ref.parent,
                    suffixes: SuffixMap::default(),
                },
            });
        }
        // Collect the chain root → leaf.
        let mut chain = [ROOT; MAX_HEADER_DEPTH + 1];
        let mut n = 0;
        let mut cur = leaf_node;
        while cur != ROOT && cur != NONE && n < chain.len() {
            chain[n] = cur;
            n += 1;
            cur = self.nodes[usize::from(cur)].parent;
        }
        let mut suffixes = Suffixes::default();
        let mut next = Path {
            node: node_ref.parent,
            suffixes: SuffixMap::default(),
        };
        for &id in chain[..n].iter().rev() {
            if let Some((lo, hi)) = self.nodes[usize::from(id)].suffix {
                let v = explicit.get(id).unwrap_or(1);
                if !(lo..=hi).contains(&v) {
                    return Err(
                        Error::new(code::HEADER_SUFFIX_OUT_OF_RANGE).with_detail_bytes(h.text)
                    );
                }
                if usize::from(suffixes.len) == MAX_SUFFIXES {
                    return Err(
                        Error::new(code::HEADER_SUFFIX_OUT_OF_RANGE).with_detail_bytes(h.text)
                    );
                }
                suffixes.values[usize::from(suffixes.len)] = v;
                suffixes.len += 1;
                if id != leaf_node {
                    next.suffixes.push(id, v).map_err(|BadSuffix| {
                        Error::new(code::HEADER_SUFFIX_OUT_OF_RANGE).with_detail_bytes(h.text)
                    })?;
                }
            }
        }
        Ok(Resolved {
            leaf,
            node: leaf_node,
            suffixes,
            next_path: next,
        })
    }

    /// Writes the short-form header of `node` (`:ELOG:STAT`, implied nodes
    /// left out, suffixes other than 1 written) into `buf`; returns the length.
    pub(crate) fn short_header(&self, node: NodeId, suffixes: &Suffixes, buf: &mut [u8]) -> usize {
        let mut chain = [ROOT; MAX_HEADER_DEPTH + 1];
        let mut n = 0;
        let mut cur = node;
        while cur != ROOT && cur != NONE && n < chain.len() {
            chain[n] = cur;
            n += 1;
            cur = self.nodes[usize::from(cur)].parent;
        }
        let mut len = 0;
        let mut si = 0;
        let mut put = |bytes: &[u8], len: &mut usize| {
            if let Some(dst) = buf.get_mut(*len..*len + bytes.len()) {
                dst.copy_from_slice(bytes);
                *len += bytes.len();
            }
        };
        for &id in chain[..n].iter().rev() {
            let nd = &self.nodes[usize::from(id)];
            let has_suffix = nd.suffix.is_some();
            let value = if has_suffix {
                si += 1;
                suffixes.get(si - 1)
            } else {
                1
            };
            if nd.optional {
                continue;
            }
            put(b":", &mut len);
            let w = nd.word.as_bytes();
            put(&w[..short_len(w)], &mut len);
            if has_suffix && value != 1 {
                let mut d = [0u8; 10];
                let mut k = d.len();
                let mut v = value;
                loop {
                    k -= 1;
                    d[k] = b'0' + (v % 10) as u8;
                    v /= 10;
                    if v == 0 {
                        break;
                    }
                }
                put(&d[k..], &mut len);
            }
        }
        len
    }
}

/// Iterator over the children of a node.
struct Children<'t, C, const N: usize> {
    tree: &'t Tree<C, N>,
    next: NodeId,
}

impl<C, const N: usize> Iterator for Children<'_, C, N> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.tree.nodes[usize::from(id)].next_sibling;
        Some(id)
    }
}

/// A numeric header suffix that does not fit (reported as `-114`).
#[derive(Clone, Copy, Debug)]
struct BadSuffix;

/// Slots of the mnemonic index (a power of two).
const HASH_SLOTS: usize = 1024;
/// The most nodes a tree may hold (keeps the index at most 75% full).
pub const MAX_NODES: usize = 384;

/// The first index slot for `(parent, k)`.
#[inline]
fn slot(parent: NodeId, k: u128) -> usize {
    let h = (k as u64) ^ ((k >> 64) as u64).rotate_left(17) ^ (u64::from(parent) << 40);
    (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - HASH_SLOTS.trailing_zeros())) as usize
}

/// A key that no input mnemonic has.
const NO_KEY: u128 = u128::MAX;

/// The upper-cased bytes and the length of a mnemonic packed into one
/// integer, so that the short/long-form rule is two integer comparisons per
/// node. Mnemonics longer than 15 bytes (never valid input) get [`NO_KEY`].
///
/// Bytes 0–7 go to the low word, bytes 8–14 and the length to the high word
/// (little-endian), read with a few possibly overlapping fixed-size loads
/// instead of a byte loop. Upper-casing clears bit `0x20` of every byte that
/// has bit `0x40` set: exactly `to_ascii_uppercase` for the letters, digits
/// and `_` a mnemonic is made of (the lexer and [`Tree::add`] admit nothing
/// else).
#[inline]
fn key(m: &[u8]) -> u128 {
    let len = m.len();
    if len == 0 || len > 15 {
        return NO_KEY;
    }
    let (lo, hi) = if len >= 8 {
        let tail = load_u64(&m[len - 8..]);
        (
            load_u64(m),
            tail.checked_shr(8 * (16 - len) as u32).unwrap_or(0),
        )
    } else if len >= 4 {
        let head = u64::from(load_u32(m));
        let tail = u64::from(load_u32(&m[len - 4..]));
        (head | (tail << (8 * (len - 4))), 0)
    } else {
        let w = u64::from(m[0])
            | (u64::from(m[len / 2]) << (8 * (len / 2)))
            | (u64::from(m[len - 1]) << (8 * (len - 1)));
        (w, 0)
    };
    pack_key(lo, hi, len)
}

/// The [`key`] of the bytes `lo` (0–7) and `hi` (8–14, zero-padded) of a
/// mnemonic of `len` bytes.
#[inline]
fn pack_key(lo: u64, hi: u64, len: usize) -> u128 {
    let upper = |x: u64| x & !((x & 0x4040_4040_4040_4040) >> 1);
    (u128::from(upper(hi) | ((len as u64) << 56)) << 64) | u128::from(upper(lo))
}

/// Eight bytes of `s` from `pos` as a little-endian word, zero-padded past
/// the end (a zero byte ends any mnemonic).
#[inline]
fn load_padded(s: &[u8], pos: usize) -> u64 {
    match s.get(pos..pos + 8) {
        Some(b) => load_u64(b),
        None => {
            let rest = s.get(pos..).unwrap_or(&[]);
            let mut w = [0u8; 8];
            if let Some(dst) = w.get_mut(..rest.len()) {
                copy_small(dst, rest);
            }
            u64::from_le_bytes(w)
        }
    }
}

/// The high bit of every byte of `w` that is not a letter or `_` (eight
/// bytes classified at once, no table).
#[inline]
fn not_alpha(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Low seven bits of each byte, case folded (`A` → `a`): letters are
    // then exactly 0x61..=0x7A. No sum below leaves its byte.
    let x = w & !HIGH;
    let t = x | (0x20 * ONES);
    let letter = t.wrapping_add((0x80 - 0x61) * ONES) & !t.wrapping_add((0x80 - 0x7B) * ONES);
    // `_`: the bytes where `x ^ 0x5F` is zero.
    let v = x ^ (0x5F * ONES);
    let underscore = !(v.wrapping_add(0x7F * ONES) | v);
    let alpha = (letter | underscore) & !w & HIGH;
    !alpha & HIGH
}

/// The [`key`] and length of the run of letters and `_` at `s[pos]`, from
/// at most two word loads; `None` when it is longer than a mnemonic may be.
#[inline]
fn mnemonic_key(s: &[u8], pos: usize) -> Option<(u128, usize)> {
    let lo = load_padded(s, pos);
    let stop = not_alpha(lo);
    if stop != 0 {
        let len = (stop.trailing_zeros() / 8) as usize;
        let lo = lo & (1u64 << (8 * len)).wrapping_sub(1);
        return Some((pack_key(lo, 0, len), len));
    }
    let hi = load_padded(s, pos + 8);
    let stop = not_alpha(hi);
    let len = 8 + (stop.trailing_zeros() / 8) as usize;
    if len > MAX_MNEMONIC_LEN {
        return None;
    }
    let hi = hi & (1u64 << (8 * (len - 8))).wrapping_sub(1);
    Some((pack_key(lo, hi, len), len))
}

/// The first 8 bytes of `b` (at least 8) as a little-endian word.
#[inline]
fn load_u64(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[..8]);
    u64::from_le_bytes(w)
}

/// The first 4 bytes of `b` (at least 4) as a little-endian word.
#[inline]
fn load_u32(b: &[u8]) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[..4]);
    u32::from_le_bytes(w)
}

fn parse_u32(d: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &c in d {
        v = v
            .checked_mul(10)?
            .checked_add(u32::from(c.wrapping_sub(b'0')))?;
    }
    Some(v)
}

/// Splits a pattern element into its word and suffix range.
fn parse_elem(elem: &'static str) -> Option<(&'static str, Option<(u32, u32)>)> {
    let end = elem
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(elem.len());
    let word = &elem[..end];
    let first = word.bytes().next()?;
    if !first.is_ascii_alphabetic()
        || short_len(word.as_bytes()) > MAX_MNEMONIC_LEN
        || word.len() > 24
    {
        return None;
    }
    let rest = &elem[end..];
    if rest.is_empty() {
        return Some((word, None));
    }
    if word.ends_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let range = rest.strip_prefix('#')?;
    if range.is_empty() {
        return Some((word, Some((0, u32::MAX))));
    }
    let inner = range.strip_prefix('{')?.strip_suffix('}')?;
    let (lo, hi) = inner.split_once("..")?;
    let lo = parse_u32(lo.trim().as_bytes()).filter(|_| !lo.trim().is_empty())?;
    let hi = parse_u32(hi.trim().as_bytes()).filter(|_| !hi.trim().is_empty())?;
    (lo <= hi).then_some((word, Some((lo, hi))))
}

fn check_params(pattern: &'static str, params: &'static [Param]) -> Result<(), TreeError> {
    for (i, p) in params.iter().enumerate() {
        if p.kind().is_list() && i + 1 != params.len() {
            return Err(TreeError::Params(pattern));
        }
        if !p.kind().is_list() && i >= MAX_PARAMS {
            return Err(TreeError::Params(pattern));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::{Cursor, parse_header};

    #[derive(Clone, Copy, Debug, Eq, PartialEq)]
    enum Cmd {
        Volt,
        VoltQ,
        MeasDcQ,
        OutState,
        Ver,
        Item,
    }

    fn tree() -> Tree<Cmd> {
        let mut t = Tree::new();
        t.add("[:SOURce]:VOLTage[:LEVel]", &[], Cmd::Volt).unwrap();
        t.add("[:SOURce]:VOLTage[:LEVel]?", &[], Cmd::VoltQ)
            .unwrap();
        t.add("MEASure:VOLTage[:DC]?", &[], Cmd::MeasDcQ).unwrap();
        t.add("OUTPut#{1..4}:STATe", &[], Cmd::OutState).unwrap();
        t.add("*VER?", &[], Cmd::Ver).unwrap();
        t.add(":ELOG:ITEMs", &[], Cmd::Item).unwrap();
        t
    }

    fn res(t: &Tree<Cmd>, path: &Path, s: &str) -> Result<(Cmd, Suffixes, Path), i32> {
        let mut c = Cursor::new(s.as_bytes());
        let h = parse_header(&mut c).map_err(|e| e.code())?;
        let r = t.resolve(path, &h).map_err(|e| e.code())?;
        match r.leaf.target {
            Target::Device(d) => Ok((d, r.suffixes, r.next_path)),
            Target::Builtin(_) => Err(0),
        }
    }

    #[test]
    fn builtins_fit() {
        let t: Tree<Cmd, 16> = Tree::new_sized();
        assert!(t.node_count() <= 16);
        assert_eq!(t.commons_len, 10); // 13 commands, 10 names
        assert!(t.common(b"idn", true).is_some());
        assert!(t.common(b"IDN", false).is_none());
        let p = Path::default();
        let mut c = Cursor::new(b"syst:err?");
        let h = parse_header(&mut c).unwrap();
        assert!(matches!(
            t.resolve(&p, &h).unwrap().leaf.target,
            Target::Builtin(Builtin::ErrNextQ)
        ));
    }

    #[test]
    fn optional_nodes() {
        let t = tree();
        let p = Path::default();
        assert_eq!(res(&t, &p, "VOLT 1").unwrap().0, Cmd::Volt);
        assert_eq!(res(&t, &p, "sour:volt:lev?").unwrap().0, Cmd::VoltQ);
        assert_eq!(res(&t, &p, "SOURCE:VOLTAGE").unwrap().0, Cmd::Volt);
        assert_eq!(res(&t, &p, ":VOLT:LEV").unwrap().0, Cmd::Volt);
        assert_eq!(res(&t, &p, "MEAS:VOLT?").unwrap().0, Cmd::MeasDcQ);
        assert_eq!(res(&t, &p, "MEAS:VOLT:DC?").unwrap().0, Cmd::MeasDcQ);
        assert_eq!(res(&t, &p, "MEAS:VOLT").unwrap_err(), -113);
        assert_eq!(res(&t, &p, "MEAS:VOLTA?").unwrap_err(), -113);
        assert_eq!(res(&t, &p, "ELOG:ITEM").unwrap().0, Cmd::Item);
    }

    #[test]
    fn suffixes() {
        let t = tree();
        let p = Path::default();
        let (c, s, next) = res(&t, &p, "OUTP3:STAT").unwrap();
        assert_eq!(c, Cmd::OutState);
        assert_eq!(s.as_slice(), [3]);
        assert_eq!(res(&t, &p, "OUTPUT:STAT").unwrap().1.as_slice(), [1]);
        assert_eq!(res(&t, &p, "OUTP5:STAT").unwrap_err(), -114);
        assert_eq!(res(&t, &p, "OUTP0:STAT").unwrap_err(), -114);
        assert_eq!(res(&t, &p, "MEAS2:VOLT?").unwrap_err(), -114);
        assert_eq!(res(&t, &p, "OUTP99999999999:STAT").unwrap_err(), -114);
        // The path keeps the suffix: `OUTP3:STAT ON;STAT OFF` stays on 3.
        assert_eq!(res(&t, &next, "STAT").unwrap().1.as_slice(), [3]);
    }

    #[test]
    fn compound_path() {
        let t = tree();
        let (_, _, next) = res(&t, &Path::default(), "MEAS:VOLT:DC?").unwrap();
        assert_eq!(res(&t, &next, "DC?").unwrap().0, Cmd::MeasDcQ);
        assert_eq!(res(&t, &next, "MEAS:VOLT?").unwrap_err(), -113);
        assert_eq!(res(&t, &next, ":MEAS:VOLT?").unwrap().0, Cmd::MeasDcQ);
    }

    #[test]
    fn declaration_errors() {
        let mut t: Tree<Cmd> = Tree::new();
        // An answer on refusal needs a query and a one-unit text.
        assert_eq!(
            t.add_answering_refusal("ELOG:FETCh", &[], Cmd::Ver, "ERROR"),
            Err(TreeError::Pattern("ELOG:FETCh"))
        );
        for bad in ["", "A;B", "A B", "A\n"] {
            assert_eq!(
                t.add_answering_refusal("ELOG:FETCh?", &[], Cmd::Ver, bad),
                Err(TreeError::Pattern("ELOG:FETCh?"))
            );
        }
        assert_eq!(
            t.add("*IDN?", &[], Cmd::Ver),
            Err(TreeError::Duplicate("*IDN?"))
        );
        assert_eq!(
            t.add("SYST:ERR:NEXT?", &[], Cmd::Ver),
            Err(TreeError::Conflict("SYST:ERR:NEXT?"))
        );
        assert_eq!(
            t.add("SYSTem:ERRor:NEXT?", &[], Cmd::Ver),
            Err(TreeError::Conflict("SYSTem:ERRor:NEXT?"))
        );
        assert_eq!(
            t.add("SYSTem:ERRor[:NEXT]?", &[], Cmd::Ver),
            Err(TreeError::Duplicate("SYSTem:ERRor[:NEXT]?"))
        );
        assert_eq!(
            t.add("SYSTem:ERRors?", &[], Cmd::Ver),
            Err(TreeError::Conflict("SYSTem:ERRors?"))
        );
        for bad in [
            "", ":", "A::B", "A:", "1A", "A[B", "A#{3..1}", "A#x", "*", "*1", "A2#",
        ] {
            assert_eq!(
                t.add(bad, &[], Cmd::Ver),
                Err(TreeError::Pattern(bad)),
                "{bad}"
            );
        }
        assert_eq!(
            t.add(
                "X",
                const { &[Param::string_list(), Param::string()] },
                Cmd::Ver
            ),
            Err(TreeError::Params("X"))
        );
        let mut small: Tree<Cmd, 16> = Tree::new_sized();
        let mut full = false;
        for p in ["A:B:C:D:E:F", "G:H:I:J:K:L"] {
            full |= small.add(p, &[], Cmd::Ver) == Err(TreeError::Full(p));
        }
        assert!(full);
    }

    #[test]
    fn short_headers() {
        let t = tree();
        let mut c = Cursor::new(b"OUTPUT2:STATE");
        let h = parse_header(&mut c).unwrap();
        let r = t.resolve(&Path::default(), &h).unwrap();
        let mut buf = [0u8; 64];
        let n = t.short_header(r.node, &r.suffixes, &mut buf);
        assert_eq!(&buf[..n], b":OUTP2:STAT");
        let mut c = Cursor::new(b"SOUR:VOLT:LEV?");
        let h = parse_header(&mut c).unwrap();
        let r = t.resolve(&Path::default(), &h).unwrap();
        let n = t.short_header(r.node, &r.suffixes, &mut buf);
        assert_eq!(&buf[..n], b":VOLT");
    }

    /// The one-pass fast path agrees with the general lexer + resolver on
    /// whatever it accepts (and leaves everything else to it).
    fn general(t: &Tree<Cmd>, path: &Path, s: &[u8]) -> Option<(NodeId, bool, usize, Path)> {
        let mut c = Cursor::new(s);
        let h = parse_header(&mut c).ok()?;
        if h.common {
            return None;
        }
        let r = t.resolve(path, &h).ok()?;
        Some((r.node, h.query, c.pos, r.next_path))
    }

    #[test]
    fn word_classification_matches_the_byte_rule() {
        for b in 0..=255u8 {
            let alpha = b.is_ascii_alphabetic() || b == b'_';
            for p in 0..8 {
                let mut bytes = [b'A'; 8];
                bytes[p] = b;
                let m = not_alpha(u64::from_le_bytes(bytes));
                assert_eq!(m, if alpha { 0 } else { 0x80 << (8 * p) }, "{b:#x} at {p}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        #[test]
        fn word_keys_equal_byte_keys(
            body in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(&b"aZkQ_"[..]),
                    proptest::num::u8::ANY,
                ],
                0..20,
            ),
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..10),
        ) {
            let mut s = std::vec![b'E'];
            s.extend_from_slice(&body);
            s.extend_from_slice(&tail);
            let run = s
                .iter()
                .take_while(|c| c.is_ascii_alphabetic() || **c == b'_')
                .count();
            let want = (run <= MAX_MNEMONIC_LEN).then(|| (key(&s[..run]), run));
            proptest::prop_assert_eq!(mnemonic_key(&s, 0), want);
        }
    }

    #[test]
    fn common_direct_agrees_with_general() {
        let t = tree();
        let mut taken = 0;
        for h in [
            "*VER?",
            "*ver?",
            "*IDN?",
            "*idn?;*CLS",
            "*CLS",
            "*cls ",
            "*ESE 1",
            "*VER",
            "*FOO?",
            "*VER?x",
            "*VE1?",
            "*VER:X",
            "*_A",
            "*",
            "*?",
            "*RST\t",
            "*OPC?;",
            "*ESR?",
        ] {
            let s = h.as_bytes();
            let general = {
                let mut c = Cursor::new(s);
                parse_header(&mut c).ok().and_then(|hd| {
                    let leaf = t.common(hd.body, hd.query)?;
                    Some((std::format!("{:?}", leaf.target), hd.query, c.pos))
                })
            };
            if let Some((leaf, q, end)) = t.common_direct(s, 0) {
                taken += 1;
                assert_eq!(
                    Some((std::format!("{:?}", leaf.target), q, end)),
                    general,
                    "{h}"
                );
            }
        }
        assert_eq!(taken, 10);
    }

    #[test]
    fn direct_path_takes_the_usual_headers() {
        let t = tree();
        let p = Path::default();
        for h in [
            ":ELOG:ITEM",
            "elog:items \"x\"",
            "MEAS:VOLT:DC?;",
            "SOUR:VOLT:LEV?",
            "MEAS:VOLT?",
        ] {
            assert!(t.resolve_direct(h.as_bytes(), 0, &p).is_some(), "{h}");
        }
        // Optional nodes skipped, suffixes, bad syntax: the general path.
        for h in ["VOLT", "OUTP2:STAT", "OUTP:STAT", "ELOG:ITEM,", "*VER?"] {
            assert!(t.resolve_direct(h.as_bytes(), 0, &p).is_none(), "{h}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        #[test]
        fn direct_path_agrees_with_general(
            parts in proptest::collection::vec(
                proptest::sample::select(&[
                    "SOUR", "source", "VOLT", "voltage", "LEV", "level", "MEAS", "meas",
                    "DC", "OUTP", "OUTP2", "outp4", "STAT", "state", "ELOG", "elog", "ITEM",
                    "items", "ITEMS", "SYST", "ERR", "error", "NEXT", "COUN", "X", "VOLTA",
                    "", "?", "1", "_A",
                ][..]),
                1..5,
            ),
            absolute in proptest::bool::ANY,
            query in proptest::bool::ANY,
            tail in proptest::sample::select(&["", " 1", ";", "\t", "x", "?", ":", "\u{80}"][..]),
            start in 0usize..4,
        ) {
            let t = tree();
            let mut text = std::string::String::new();
            if absolute {
                text.push(':');
            }
            text.push_str(&parts.join(":"));
            if query {
                text.push('?');
            }
            text.push_str(tail);
            // Start from a few different current paths.
            let path = match start {
                0 => Path::default(),
                _ => {
                    let from = ["SOUR:VOLT", "MEAS:VOLT:DC?", "ELOG:ITEM"][start - 1];
                    general(&t, &Path::default(), from.as_bytes()).map_or(Path::default(), |g| g.3)
                }
            };
            let s = text.as_bytes();
            if let Some((r, q, end)) = t.resolve_direct(s, 0, &path) {
                let g = general(&t, &path, s);
                proptest::prop_assert!(g.is_some(), "{text:?}: only the fast path accepts");
                let (node, gq, gend, gnext) = g.unwrap();
                proptest::prop_assert_eq!((r.node, q, end), (node, gq, gend), "{:?}", text);
                proptest::prop_assert_eq!(r.next_path.node, gnext.node);
                proptest::prop_assert_eq!(r.suffixes, Suffixes::default());
            }
        }
    }
}
