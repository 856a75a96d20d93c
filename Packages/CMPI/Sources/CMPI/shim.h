// The MPI C interface, plus functions for the handles mpi.h defines as macros over addresses of
// library globals (`#define MPI_COMM_WORLD ((MPI_Comm)&ompi_mpi_comm_world)`), which Swift cannot
// import. Integer constants (MPI_SUCCESS, MPI_THREAD_SERIALIZED, MPI_ANY_SOURCE) import as they are.
#include <mpi.h>

static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm cmpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Datatype cmpi_byte(void) { return MPI_BYTE; }
static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Request cmpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Message cmpi_message_null(void) { return MPI_MESSAGE_NULL; }
static inline MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Status *cmpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
