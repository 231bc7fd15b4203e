//! The scan language (SPEC §2.3): lexer, parser, type check and compilation to a
//! plan that computes each distinct indicator once per symbol.
//!
//! TODO(engine issue): implement.
