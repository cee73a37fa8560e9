"""Reusable fakes: in-memory stores and local servers that speak a platform's wire format."""
