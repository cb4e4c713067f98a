//! Messages from handles to the trainer thread, each with its own reply channel.

use std::path::PathBuf;

use crossbeam_channel::Sender;

use super::types::{EvalRequest, Mode};
use crate::{CheckpointMeta, HyperChanges, HyperParams, TrainError};

pub(crate) type Reply<T> = Sender<Result<T, TrainError>>;

pub(crate) enum Command {
    /// Stop stepping; replies with the model age once no step is in flight.
    Pause(Reply<u64>),
    Resume {
        nb_steps: Option<u64>,
        reply: Reply<()>,
    },
    SetMode(Mode, Reply<()>),
    UpdateHyper(HyperChanges, Reply<HyperParams>),
    /// Run evaluation `id` (already marked Requested on the board).
    Evaluate {
        id: u64,
        request: EvalRequest,
    },
    Save {
        dir: PathBuf,
        reply: Reply<CheckpointMeta>,
    },
    Load {
        dir: PathBuf,
        weights_only: bool,
        reply: Reply<CheckpointMeta>,
    },
    Shutdown,
}
