// Implementation lands with the ingest issue (validation); see include/eventhub/events/event.hpp.
#include <eventhub/events/event.hpp>
