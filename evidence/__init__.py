"""Evidence a third party can verify: packages, signatures, time-stamps."""
