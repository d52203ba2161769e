"""The simulation layer: the supply chain in time, interventions and adaptation."""
