"""National figures for the COC: awards, access routes, rates and delays, computed in the database."""
