-- The stand-in PBX's server registry (what PortSIP keeps for Servers > Media/Queue/Meeting/IVR):
-- its built-in server of each kind and the extended servers registered by name. Lives on the
-- shared data path, so the settings follow the PBX through a failover. Run at every start.
CREATE TABLE IF NOT EXISTS servers (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('media', 'queue', 'meeting', 'ivr')),
  name TEXT NOT NULL CHECK (length(name) > 0),
  type TEXT NOT NULL CHECK (type IN ('DEFAULT', 'EXTENDED')),
  ipv4 TEXT NOT NULL CHECK (length(ipv4) > 0),
  port INTEGER,
  public_ipv4 TEXT NOT NULL DEFAULT '',
  max_concurrent_sessions INTEGER,
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  last_seen INTEGER NOT NULL DEFAULT 0,
  UNIQUE (name, type)
);
INSERT OR IGNORE INTO servers (kind, name, type, ipv4, port) VALUES
  ('media', 'BUILT_IN_MEDIA_SERVER', 'DEFAULT', '127.0.0.1', 8894),
  ('queue', 'BUILT_IN_QUEUE_SERVER', 'DEFAULT', '127.0.0.1', 8895),
  ('meeting', 'BUILT_IN_MEETING_SERVER', 'DEFAULT', '127.0.0.1', 8896),
  ('ivr', 'BUILT_IN_IVR_SERVER', 'DEFAULT', '127.0.0.1', 8897);
