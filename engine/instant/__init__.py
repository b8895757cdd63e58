"""The instant stage: landmarks from frozen pretrained features, with no training."""
