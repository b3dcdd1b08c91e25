//! Failure at each step ends with a clear message and nothing left.
