mod mms;
