//! Resolving headers against the tree: the one-pass direct path, the
//! general path (optional nodes, numeric suffixes, the compound-path rule),
//! common commands, and the short-form header written with `HEADer ON`.

use super::*;

impl<C: Copy, const N: usize> Tree<C, N> {
    /// The child of `parent` whose short or long form has key `k` (and that
    /// does or does not take a numeric suffix).
    #[inline]
    pub(super) fn lookup(&self, parent: NodeId, k: u128, suffixed: bool) -> Option<NodeId> {
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
    pub(super) fn step(
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
    pub(super) fn default_leaf(&self, node: NodeId, query: bool, depth: usize) -> Option<NodeId> {
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
    pub(super) fn common_by_key(&self, k: u128, query: bool) -> Option<Leaf<C>> {
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
