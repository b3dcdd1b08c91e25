# Etherpad on the latest Amazon Linux 2023, as in chapter 15 of
# "Amazon Web Services in Action", built with amibake:
#
#   amibake build recipes/etherpad.hcl
#
# The image is copied to one more region, tagged, published as the SSM
# parameter /awsinaction/etherpad/ami-id in both regions and written to
# etherpad-parameters.json for `aws cloudformation create-stack --parameters`
# (see recipes/etherpad.cfn.yaml).

packer {
  required_plugins {
    amazon = {
      version = ">= 1.2.0"
      source  = "github.com/hashicorp/amazon"
    }
  }
}

variable "region" {
  type        = string
  default     = "us-east-1"
  description = "Region the image is built in."
  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "The region must look like us-east-1."
  }
}

variable "copy_regions" {
  type        = list(string)
  default     = ["eu-west-1"]
  description = "Regions the finished image is copied to."
}

variable "etherpad_version" {
  type    = string
  default = "1.8.18"
}

variable "instance_type" {
  type    = string
  default = "t3.small"
}

locals {
  stamp = formatdate("YYYYMMDDhhmmss", timestamp())
}

source "amazon-ebs" "etherpad" {
  region          = var.region
  instance_type   = var.instance_type
  source_ami      = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
  ami_name        = "awsinaction-etherpad-${local.stamp}"
  ami_description = "Etherpad ${var.etherpad_version} on Amazon Linux 2023"
  ami_regions     = var.copy_regions
  imds_support    = "v2.0"

  tags = {
    Name            = "awsinaction-etherpad"
    EtherpadVersion = var.etherpad_version
    BaseImage       = "al2023"
  }
  snapshot_tags = {
    Name = "awsinaction-etherpad"
  }
  run_tags = {
    Name = "amibake-etherpad-builder"
  }

  # What `amibake gc --recipe-file recipes/etherpad.hcl` keeps.
  retention {
    keep    = 3
    min_age = "7d"
  }
}

build {
  name    = "etherpad"
  sources = ["source.amazon-ebs.etherpad"]

  provisioner "shell" {
    name             = "install-etherpad"
    script           = "../provisioners/etherpad.sh"
    environment_vars = ["ETHERPAD_VERSION=${var.etherpad_version}"]
    timeout          = "20m"
  }

  post-processor "manifest" {
    output = "etherpad-manifest.json"
  }

  post-processor "cloudformation-parameters" {
    output         = "etherpad-parameters.json"
    parameter_name = "ImageId"
  }

  post-processor "ssm-parameter" {
    name        = "/awsinaction/etherpad/ami-id"
    description = "Latest Etherpad AMI built by amibake"
  }
}
