"""Scripts the hardening tests copy into a rendered project and run with its interpreter."""
