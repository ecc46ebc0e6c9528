"""Reliability: behaviour when Redis or Mattermost misbehave, or input is hostile."""
