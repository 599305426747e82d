"""Sentences from the provider's documentation pages, quoted when a check fails."""

ENVELOPE_SUCCESS = (
    'Success responses read {"error": null, "data": {...}} (every page, "Response Format")'
)
ENVELOPE_ERROR = (
    'Error responses read {"error": "<code>", "message": "..."} (every page, "Error Responses")'
)
AUTH = (
    '"401 Unauthorized - Invalid API Key": {"error": "unauthorized", "message": '
    '"Invalid or missing API key"}'
)
NORMALIZATION = (
    '"All LinkedIn URLs are automatically normalized before storage: Lowercase, Protocol: Add '
    'https:// if missing, Remove www, Trim Trailing Slash, Extract Username" and "All formats are '
    'automatically normalized to: https://linkedin.com/in/username" (Add single DNC entry)'
)
NORMALIZATION_CHECK = (
    '"All LinkedIn URLs are automatically normalized before checking ... This ensures consistent '
    'matching regardless of URL format." (Check DNC status)'
)
DUPLICATE = (
    '"409 Conflict - URL Already on DNC List": {"error": "dnc_entry_exists"} and "This ensures no '
    'duplicate entries for the same profile." (Add single DNC entry)'
)
ADD_201 = (
    '"Success Response (201 Created)" with data.$id, teamId, url, $createdAt, '
    "$updatedAt (Add single)"
)
MISSING_URL = (
    '"400 Bad Request - Missing URL": {"error": "invalid_request", "message": '
    '"LinkedIn URL is required"}'
)
INVALID_URL = (
    '"400 Bad Request - Invalid URL Format": {"error": "invalid_url"} (Add single DNC entry)'
)
BATCH_201 = '"Partial Success: Returns 201 even if some entries fail" (Add batch DNC entries)'
BATCH_DETAILS = (
    '"Each entry in the details array contains: url (The normalized LinkedIn URL), status (added, '
    'duplicate, or error), error (only present if status: error)" and "Process each URL '
    'sequentially" (Add batch DNC entries)'
)
BATCH_COUNTS = (
    '"data.added: Number of URLs successfully added; data.duplicates: Number of URLs already '
    "on DNC "
    'list (skipped); data.errors: Number of URLs that failed to process" (Add batch DNC entries)'
)
BATCH_DUPLICATE = (
    '"Duplicate Handling: Automatically skips existing entries without errors" (Add batch)'
)
BATCH_400 = (
    '"400 Bad Request - Missing Entries Array / Empty Entries Array": "Entries array is required"; '
    '"Invalid Entry Format": "Each entry must have a url field" (Add batch DNC entries)'
)
CHECK_FOUND = '"URL Found on DNC List": {"onList": true, "entry": {full entry}} (Check DNC status)'
CHECK_NOT_FOUND = '"URL NOT Found on DNC List": {"onList": false, "entry": null} (Check DNC status)'
LIST_ORDER = (
    '"Sorted by Date: Returns most recent entries first (descending order)" (List DNC entries)'
)
LIST_PAGING = (
    '"limit: Number of entries to return (1-1000), default 50; offset: Number of entries to '
    "skip for "
    'pagination, default 0" (List DNC entries)'
)
LIST_TOTAL = (
    '"The total field returns the number of entries in the current response (same as '
    'entries.length)" (List DNC entries)'
)
LIST_ECHO = (
    '"data.limit: The limit value used for this request; data.offset: The offset value used" (List)'
)
DELETE_200 = (
    '"Success Response (200 OK)": {"error": null, "data": {"message": "DNC entry '
    'deleted successfully"}}'
)
DELETE_GONE = (
    '"Permanent Deletion: Once deleted, the entry is permanently removed. The contact can be '
    'added to campaigns immediately." (Delete DNC entry)'
)
DELETE_404 = '"404 Not Found - DNC Entry Not Found": {"error": "dnc_not_found"} (Delete DNC entry)'
DELETE_403 = (
    '"Attempts to delete other teams\' entries will fail with 403 Forbidden": {"error": '
    '"unauthorized_dnc"} and "Team Isolation: Cannot delete DNC entries from other teams" (Delete)'
)
ISOLATION_CHECK = (
    '"Team Isolation: Only checks against your team\'s DNC entries" (Check DNC status)'
)
ISOLATION_LIST = '"Team Isolation: Only see DNC entries belonging to your team" (List DNC entries)'
ISOLATION_ADD = '"Team Isolation: DNC entries only visible to your team" (Add single DNC entry)'
ISOLATION_BATCH = (
    '"Team Isolation: All entries scoped to your team" (Add batch DNC entries) and "Team '
    'Isolation: DNC entries only visible to your team" (Add single DNC entry)'
)
ISOLATION_DATA = (
    '"Team Isolation: DNC entries only visible to your team" (Add single DNC entry) and "Team '
    'Authorization: You can only delete DNC entries belonging to your team" (Delete DNC entry)'
)
CACHE_ADD = (
    '"Cache Invalidation: Automatically updates cache for instant checks" (Add single DNC entry)'
)
CACHE_DELETE = (
    '"Deleting a DNC entry automatically invalidates ... Next check for the URL will '
    'return onList: false"'
)
CACHE_BATCH = '"Invalidate Cache: Clear team cache after all processing" (Add batch DNC entries)'
RATE_WRITE = (
    '"Limit: 30 requests per minute per team; Window: Rolling 60-second window; '
    'Shared with: Other DNC write operations" (Add single, Delete)'
)
RATE_READ = (
    '"Limit: 60 requests per minute per team; Window: Rolling 60-second window; '
    'Shared Limit: Shared with other DNC read operations" (Check, List)'
)
RATE_BATCH = (
    '"Limit: 10 requests per minute per team; Window: Rolling 60-second window" (Add batch)'
)
RATE_429 = (
    '"429 Too Many Requests - Rate Limit Exceeded": {"error": "rate_limit_exceeded", "message": '
    '"Too many requests. Please try again later.", "resetTime": 1700308800000}'
)
RATE_RESET = (
    '"Implement Backoff: Wait for resetTime before retrying" (every page, "Rate '
    'Limit Best Practices")'
)
RATE_ROLLING = '"Window: Rolling 60-second window" (Add, Add batch, Check, List, Delete)'
RATE_TEAM = '"30 requests per minute per team" (the limits are per team)'
