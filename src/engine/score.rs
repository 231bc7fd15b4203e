//! The Technic score (SPEC §2.4): features, subscores, TechRating, signal,
//! trade plan, setup tags and market regime, per symbol at a given bar.
//!
//! TODO(engine issue): implement.
