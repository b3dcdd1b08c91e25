# The smallest useful recipe: the latest Amazon Linux 2023 with one change.
source "amazon-ebs" "minimal" {
  region        = "us-east-1"
  instance_type = "t3.micro"
  source_ami    = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
  ami_name      = "minimal-{{timestamp}}"
}

build {
  sources = ["source.amazon-ebs.minimal"]

  provisioner "shell" {
    inline = ["echo 'Built by amibake' > /etc/motd"]
  }
}
