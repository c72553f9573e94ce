"""Constants of Bella's Reef server entries."""

from datetime import timedelta
from typing import Final

CONF_CORE_URL: Final = "core_url"
CONF_SCHEDULER_URL: Final = "scheduler_url"
CONF_VERIFY_SSL: Final = "verify_ssl"
CONF_SCAN_INTERVAL: Final = "scan_interval"
CONF_RUN_HERE: Final = "run_here"
CONF_DEVICE_MAP: Final = "device_map"

DEFAULT_CORE_URL: Final = "http://bellasreef.local:8000"
DEFAULT_SCHEDULER_URL: Final = "http://bellasreef.local:8001"
DEFAULT_SCAN_INTERVAL: Final = 30
MIN_SCAN_INTERVAL: Final = 10
MAX_SCAN_INTERVAL: Final = 3600
DEFAULT_RUN_HERE: Final = False

# Option field of the device mapping step: one entity selector per server device id.
DEVICE_FIELD_PREFIX: Final = "device_"
# Key in a server schedule's action_params where Reef Scheduler keeps the local timing it was
# created from (cron hours and recurring times in their IANA zone), so run-here keeps the DST
# behaviour of the local engine although the server stores UTC.
LOCAL_HINT_KEY: Final = "reef_scheduler"

# Runs reported back while the server was unreachable wait at most this long / this many.
MAX_PENDING_REPORTS: Final = 200
PENDING_REPORT_MAX_AGE: Final = timedelta(days=1)

RUN_HERE_STORE_SUFFIX: Final = ".remote."
