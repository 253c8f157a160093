"""The staffing planner: measured callback load against the roster, for supervisors."""
