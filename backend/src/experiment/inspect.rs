//! Model inspection: layer descriptions, weights and activations as wire messages and as
//! `.npy` bytes numpy can load.

use weightslab_proto::*;
use weightslab_train::{LayerInfo, LayerRef, TensorDump};

use super::{Experiment, LayerKey};
use crate::error::{ServiceError, ServiceResult};

/// Serialises a float32 tensor as NumPy `.npy` (format 1.0, little-endian, C order).
pub fn npy_bytes(shape: &[usize], data: &[f32]) -> Vec<u8> {
    let shape_text = match shape.len() {
        0 => "()".to_string(),
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Magic (6) + version (2) + header length (2) + header + '\n' must be a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + data.len() * 4);
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for value in data {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    bytes
}

fn layer_ref(key: &LayerKey) -> LayerRef {
    match key {
        LayerKey::Id(id) => LayerRef::Id(*id),
        LayerKey::Name(name) => LayerRef::Name(name.clone()),
    }
}

fn representation(layer: &LayerInfo) -> LayerRepresentation {
    LayerRepresentation {
        layer_id: Some(layer.id),
        layer_name: Some(layer.name.clone()),
        layer_type: Some(layer.layer_type.clone()),
        neurons_count: Some(layer.neurons as i32),
        incoming_neurons_count: Some(layer.incoming as i32),
        kernel_size: layer.kernel_size.map(|size| size as i32),
        stride: layer.stride.map(|stride| stride as i32),
        neurons_statistics: layer
            .neuron_stats
            .iter()
            .map(|stats| NeuronStatistics {
                neuron_id: Some(NeuronId {
                    layer_id: layer.id,
                    neuron_id: stats.neuron as i32,
                }),
                neuron_age: Some(stats.age.min(i32::MAX as u64) as i32),
                train_trigger_rate: Some(stats.train_trigger_rate),
                eval_trigger_rate: Some(stats.eval_trigger_rate),
                learning_rate: Some(stats.learning_rate),
                incoming_lr: Default::default(),
            })
            .collect(),
    }
}

impl Experiment {
    fn layer_info(&self, key: &LayerKey) -> ServiceResult<LayerInfo> {
        let layers = self.trainer.layers();
        let found = layers.iter().find(|layer| match key {
            LayerKey::Id(id) => layer.id == *id,
            LayerKey::Name(name) => layer.name == *name,
        });
        found.cloned().ok_or_else(|| {
            ServiceError::not_found(format!(
                "no layer {key:?}; the model has {}",
                layers
                    .iter()
                    .map(|layer| format!("{} ({})", layer.id, layer.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }

    pub fn layer_representations(
        &self,
        single: Option<i32>,
    ) -> ServiceResult<Vec<LayerRepresentation>> {
        match single {
            Some(id) => Ok(vec![representation(&self.layer_info(&LayerKey::Id(id))?)]),
            None => Ok(self.trainer.layers().iter().map(representation).collect()),
        }
    }

    pub fn weights(
        &self,
        key: &LayerKey,
        request: &WeightsRequest,
    ) -> ServiceResult<WeightsResponse> {
        let layer = self.layer_info(key)?;
        let dump: TensorDump = self.trainer.weights(layer_ref(key))?;
        let neuron = request
            .neuron_id
            .as_ref()
            .map(|id| id.neuron_id)
            .unwrap_or(-1);
        let (shape, data) = if neuron < 0 || !request.layer_key.is_empty() {
            (dump.shape.clone(), dump.data)
        } else {
            let rows = dump.shape.first().copied().unwrap_or(0);
            let neuron = neuron as usize;
            if neuron >= rows {
                return Err(ServiceError::not_found(format!(
                    "layer {} has {rows} neurons; neuron {neuron} does not exist",
                    layer.name
                )));
            }
            let width = dump.data.len() / rows.max(1);
            (
                std::iter::once(1)
                    .chain(dump.shape.iter().skip(1).copied())
                    .collect(),
                dump.data[neuron * width..(neuron + 1) * width].to_vec(),
            )
        };
        Ok(WeightsResponse {
            neuron_id: Some(NeuronId {
                layer_id: layer.id,
                neuron_id: neuron,
            }),
            layer_name: Some(layer.name.clone()),
            layer_type: Some(layer.layer_type.clone()),
            incoming: layer.incoming as i32,
            outgoing: layer.neurons as i32,
            kernel_size: layer.kernel_size.map(|size| size as i32),
            weights_data: npy_bytes(&shape, &data),
            format: "npy".into(),
            weights: data,
            success: true,
            error_message: None,
        })
    }

    pub fn activations(
        &self,
        key: &LayerKey,
        request: &ActivationRequest,
    ) -> ServiceResult<ActivationResponse> {
        let layer = self.layer_info(key)?;
        let row = self
            .table
            .row_of(&request.origin, &request.sample_id)
            .ok_or_else(|| {
                ServiceError::not_found(format!("no sample with id {:?}", request.sample_id))
            })?;
        let dump = self.trainer.activations(layer_ref(key), row)?;
        let (channels, height, width) = match dump.shape.as_slice() {
            [channels, height, width] => (*channels, *height, *width),
            [features] => (*features, 1, 1),
            other => (
                other.first().copied().unwrap_or(1),
                1,
                dump.data.len() / other.first().copied().unwrap_or(1).max(1),
            ),
        };
        let plane = height * width;
        let activations = (0..channels)
            .map(|channel| ActivationMap {
                neuron_id: channel as i32,
                values: dump
                    .data
                    .get(channel * plane..(channel + 1) * plane)
                    .map(<[f32]>::to_vec)
                    .unwrap_or_default(),
                h: height as i32,
                w: width as i32,
            })
            .collect();
        Ok(ActivationResponse {
            layer_type: layer.layer_type,
            neurons_count: channels as i32,
            activations,
            activation_data: npy_bytes(&dump.shape, &dump.data),
            shape: dump
                .shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(","),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::npy_bytes;

    #[test]
    fn npy_header_is_aligned_and_data_follows() {
        let bytes = npy_bytes(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(&bytes[..6], b"\x93NUMPY");
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(header.contains("'shape': (2, 3)"), "{header}");
        assert_eq!(bytes.len(), 10 + header_len + 24);
        assert_eq!(
            f32::from_le_bytes(bytes[10 + header_len..14 + header_len].try_into().unwrap()),
            1.0
        );
        assert!(
            std::str::from_utf8(&npy_bytes(&[4], &[0.0; 4])[10..])
                .unwrap()
                .contains("(4,)")
        );
    }
}
