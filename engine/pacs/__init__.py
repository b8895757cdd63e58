"""A PACS as a source and a destination, over DICOMweb (ADR 0018): search studies
(QIDO-RS), fetch their images into a folder (WADO-RS), send objects back (STOW-RS), with
dicomweb-client for the protocol and every failure turned into a PacsError that says
what to do."""
