"""Music generation: one provider interface, capabilities, and a registry providers join by entry point."""
