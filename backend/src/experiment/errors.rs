//! Store errors mapped to service errors by meaning (NOT_FOUND, INVALID_ARGUMENT, …).

use weightslab_media::MediaError;
use weightslab_signals::SignalError;
use weightslab_table::TableError;
use weightslab_train::TrainError;

use crate::error::ServiceError;

impl From<TableError> for ServiceError {
    fn from(error: TableError) -> Self {
        let message = error.to_string();
        match error {
            TableError::UnknownSamples { .. } => ServiceError::NotFound(message),
            TableError::UnknownColumn { .. }
            | TableError::InvalidQuery { .. }
            | TableError::InvalidEdit(_) => ServiceError::InvalidArgument(message),
            TableError::AlreadyExists(_) => ServiceError::AlreadyExists(message),
            _ => ServiceError::Internal(message),
        }
    }
}

impl From<TrainError> for ServiceError {
    fn from(error: TrainError) -> Self {
        let message = error.to_string();
        match error {
            TrainError::Busy(_) => ServiceError::AlreadyExists(message),
            TrainError::NotFound { .. } => ServiceError::NotFound(message),
            TrainError::InvalidArgument(_) => ServiceError::InvalidArgument(message),
            TrainError::Corrupt { .. } => ServiceError::FailedPrecondition(message),
            _ => ServiceError::Internal(message),
        }
    }
}

impl From<SignalError> for ServiceError {
    fn from(error: SignalError) -> Self {
        ServiceError::NotFound(error.to_string())
    }
}

impl From<MediaError> for ServiceError {
    fn from(error: MediaError) -> Self {
        let message = error.to_string();
        match error {
            MediaError::InvalidSize(_) => ServiceError::InvalidArgument(message),
            _ => ServiceError::Internal(message),
        }
    }
}
