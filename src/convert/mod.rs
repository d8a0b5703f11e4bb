//! `dpolint convert`: the popular preference layouts into the target layout, losing nothing
//! silently.

pub mod container;
